"""The one error type users see: a bad input, reported as one line with exit status 2."""


class UserError(Exception):
    """Bad input from the user (a file, a flag, a value). The message is one line that names
    the problem; the command line prints it and exits with status 2, having written nothing."""
