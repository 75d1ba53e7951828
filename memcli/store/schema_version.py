"""The schema version this code expects, kept apart from the migrations so that opening an
up-to-date database never imports sqlite-utils (about 100 ms). A test checks it equals the
number of migrations."""

SCHEMA_VERSION = 8
