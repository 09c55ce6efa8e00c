"""The ReportLab internals guidebuilder relies on (speed-ups and caches around ReportLab)."""
