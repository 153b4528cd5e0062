"""The sync engine: framework-free; it knows entities only through the specs server/ hands it."""
