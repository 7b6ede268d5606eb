"""The dataset card and the HTML report with plots."""
