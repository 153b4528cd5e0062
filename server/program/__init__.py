"""The program's records and rules, framework-free: households, sages, teams, trainings, enrollments, surveys, import."""
