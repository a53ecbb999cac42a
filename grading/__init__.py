"""The course staff's side of the assignment: the student handout, and an autograder that grades the graded functions
of a submitted notebook without running its model cells (docs/grading.md)."""
