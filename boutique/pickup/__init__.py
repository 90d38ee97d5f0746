"""Pick-up points, their weekly slot templates and each week's slots."""
