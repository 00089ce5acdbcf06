// Package resultfile reads the output file of a finished job run: it checks the run, starts
// the download, unzips the file when asked (saved-query jobs zip their CSV), hashes it, and
// keeps it in memory or writes it atomically to a path. It knows nothing of Terraform: it
// returns a *File or one of the error types of errors.go, which the provider turns into
// diagnostics.
//
// Memory stays flat whatever the file's size when it is written to a path: the bytes are
// streamed to a temporary file in the destination's folder, whose writeback starts as it
// grows (on Linux), then synced and renamed over the destination, so that a reader never
// sees a partial file. The file gets Request.FileMode exactly when it is set; else a new
// file gets 0666 less the umask and a replaced one keeps its mode. A file kept in memory is bounded by Request.MaxContentBytes. A zip is
// spooled to a temporary file first, because reading its directory needs random access.
//
// A CSV file can be decoded instead (Request.DecodeCSV, csv.go): streamed through
// encoding/csv, its values separated by Request.Separator (the server's
// common.field_separator), into its export metadata (the preamble OpenSpecimen writes before
// the header of a saved-query export, recognised by its shape in any language), its columns
// and its rows, without holding its bytes; what is kept is bounded by the same limit. A file
// that looks written with another separator is an error naming it (DecodeError.Separator),
// never one wrong column.
//
// Errors state what is wrong with the run, the download or the file, in the words of the
// server and of files; which attribute of the provider to change is the provider's to say.
package resultfile
