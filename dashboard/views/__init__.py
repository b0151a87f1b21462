"""The staff dashboard's pages, one module per section."""
