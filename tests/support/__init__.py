"""Small helpers shared by the tests: databases, record factories, real servers."""
