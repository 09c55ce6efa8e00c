"""Stage 3, render: layout markup -> components -> ReportLab flowables, with the theme, fonts and assets."""
