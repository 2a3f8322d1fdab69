/**
 * A file named on the command line that cannot be read: one line that names
 * it and says why, and exit status 1. Not a usage mistake (exit 2): the
 * arguments were right, the file is not.
 */
export class InputFileError extends Error {}
