"""The district's configuration: reference data and the values read from it."""
