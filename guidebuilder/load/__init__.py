"""Stage 1, load: YAML files with line numbers -> validated models (guides, schools, rosters)."""

from guidebuilder.load.files import load_guide, load_guide_source, load_school, load_school_source, school_from_source

__all__ = ["load_guide", "load_guide_source", "load_school", "load_school_source", "school_from_source"]
