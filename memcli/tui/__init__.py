"""`mem tui`: a Textual browser for the memory database. Imported only by `mem tui`."""
