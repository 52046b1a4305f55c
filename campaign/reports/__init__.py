"""Progress reports (通报) for a township, county or city over a period: the figures
(``figures.py``), their charts and map as SVG (``charts.py``), the PDF (``pdf.py``) and the workbook
(``workbook.py``), built by the page (as a background job) and by ``flask report``."""
