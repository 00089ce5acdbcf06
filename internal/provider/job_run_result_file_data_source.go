package provider

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"golang.org/x/text/unicode/norm"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/resultfile"
)

var (
	_ datasource.DataSource              = (*jobRunResultFileDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*jobRunResultFileDataSource)(nil)
)

type jobRunResultFileDataSource struct {
	data *providerData
}

// resultFileModel is what the data source and the ephemeral resource share.
type resultFileModel struct {
	JobID         types.Int64  `tfsdk:"job_id"`
	RunID         types.Int64  `tfsdk:"run_id"`
	Unzip         types.Bool   `tfsdk:"unzip"`
	Entry         types.String `tfsdk:"entry"`
	MaxContent    types.Int64  `tfsdk:"max_content_bytes"`
	Filename      types.String `tfsdk:"filename"`
	ContentType   types.String `tfsdk:"content_type"`
	Size          types.Int64  `tfsdk:"size"`
	SHA256        types.String `tfsdk:"sha256"`
	Content       types.String `tfsdk:"content"`
	ContentBase64 types.String `tfsdk:"content_base64"`
	Decode        types.String `tfsdk:"decode"`
	Separator     types.String `tfsdk:"separator"`
	Metadata      types.Map    `tfsdk:"export_metadata"`
	Columns       types.List   `tfsdk:"columns"`
	Rows          types.List   `tfsdk:"rows"`
}

type jobRunResultFileDataSourceModel struct {
	resultFileModel
	OutputPath     types.String `tfsdk:"output_path"`
	StripPreamble  types.Bool   `tfsdk:"output_strip_preamble"`
	FilePermission types.String `tfsdk:"file_permission"`
}

// request is the file the model asks for, kept in memory; the data source adds its output.
// A CSV is decoded with separator, else the server's common.field_separator, else a comma.
func (m *resultFileModel) request(server client.Settings) resultfile.Request {
	var sep rune // null: the server's
	if v := m.Separator.ValueString(); v != "" {
		sep, _ = utf8.DecodeRuneInString(v)
	}
	return resultfile.Request{
		JobID:           m.JobID.ValueInt64(),
		RunID:           m.RunID.ValueInt64(),
		Unzip:           m.Unzip.IsNull() || m.Unzip.ValueBool(),
		Entry:           m.Entry.ValueString(),
		MaxContentBytes: m.MaxContent.ValueInt64(), // null: 0, the default
		DecodeCSV:       m.Decode.ValueString() == decodeCSV,
		Separator:       cmp.Or(sep, server.FieldSeparator),
	}
}

// fetch reads the file req asks for and fills in the computed attributes. ephemeral tells
// the ephemeral resource from the data source, whose advice for a file too large differs.
// A file the server purged is a warning, not an error: the computed attributes, null in a
// model read from the configuration, stay null, and planning goes on.
func (m *resultFileModel) fetch(ctx context.Context, d *providerData, req resultfile.Request, ephemeral bool, diags *diag.Diagnostics) {
	f, err := resultfile.Fetch(ctx, d.client, req)
	if err != nil {
		reader := fileReader{login: d.client.LoginName(), ephemeral: ephemeral, cutWait: d.cutWaits.of(req.JobID, req.RunID)}
		diags.Append(resultFileDiagnostic(err, req, reader))
		return
	}
	m.Filename = types.StringValue(f.Filename)
	m.ContentType = types.StringValue(f.ContentType)
	m.Size = types.Int64Value(f.Size)
	m.SHA256 = types.StringValue(f.SHA256)
	m.Content, m.ContentBase64 = contentAttributes(f, req, diags)
	m.Metadata, m.Columns, m.Rows = tableAttributes(f.Table, diags)
}

// NewJobRunResultFileDataSource is the factory the provider registers.
func NewJobRunResultFileDataSource() datasource.DataSource {
	return &jobRunResultFileDataSource{}
}

func (d *jobRunResultFileDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run_result_file"
}

// decodeCSV is the value of decode that reads a file as CSV, the only one.
const decodeCSV = "csv"

// Descriptions shared by the data source and the ephemeral resource.
const (
	resultFileDoc = "Reads the output file of a job run, such as the CSV of a saved-query export. " +
		"Result files of a biobank can hold patient data: `content`, `content_base64`, `export_metadata`, `columns` and " +
		"`rows` are sensitive. The file's bytes are held once: in `content` when they are text, in `content_base64` " +
		"otherwise, or, with `decode = \"csv\"`, decoded in `rows`. OpenSpecimen purges result files 30 days after the " +
		"run, while the run still lists its file: reading a purged file is a warning, not an error, so that planning goes " +
		"on; the file's attributes are then null. Run the job again (`terraform apply -replace` of the " +
		"`openspecimen_job_run` resource) or read a newer run to get the data back. The provider's user must be an admin, " +
		"the user who ran the run, or one of the job's recipients (who may download the file, though not read the run)."
	decodeDoc = "Set to `\"csv\"` to decode the file as CSV into `export_metadata`, `columns` and `rows`, instead of " +
		"holding its bytes in `content` or `content_base64`, which then stay null. A saved-query export starts with a " +
		"preamble before its header: `\"Exported By\",\"<full name>\"`, `\"Exported On\",\"<date time>\"`, maybe " +
		"`\"Collection Protocol\",\"<short title>\"`, then a blank line `\"\",\"\"`, its words in the server's language " +
		"and its values separated as the rows are (see `separator`). It is recognised by that shape, in any language: " +
		"two to four `\"name\",\"value\"` lines, then a line whose fields are all empty; the next line is the header. A " +
		"CSV without a preamble decodes too (one of two columns whose second to fifth line is empty has that shape and is " +
		"taken for an export). Every row must have as many fields as the header, and every column a name of " +
		"its own. A file that is not UTF-8 CSV text, a ragged row or such a header is an error naming the line, counted " +
		"in the file as served (after unzipping, its preamble included). The whole file is read and checked, also with " +
		"`output_path`, which then keeps what it held before when the file does not decode."
	separatorDoc = "With `decode`, the one character between the file's values, such as `\";\"` or `\"\\t\"`. Defaults to " +
		"the server's setting `common.field_separator` (read when the provider configures), which its exports are written " +
		"with, else `\",\"`. A file whose header, decoded so, is one column holding another usual separator (`,` `;` tab " +
		"`|`), or does not parse with it, is an error that names the separator to set: it is never decoded into one wrong column."
	metadataDoc = "With `decode`, the pairs of the export's preamble, such as `Exported By` (the full name of the user " +
		"the run ran as), `Exported On` (the server's date and time, in its own format and time zone) and " +
		"`Collection Protocol`; empty for a CSV without a preamble; null without `decode`."
	columnsDoc = "With `decode`, the CSV's column names, in the header's order; null without `decode`."
	rowsDoc    = "With `decode`, the CSV's rows after the header, in order, each a map from column name to value (values " +
		"are strings, `\"\"` when empty: convert them with `tonumber()` or `tobool()` where needed). Null without " +
		"`decode`, and with the data source's `output_path`: the rows are then in the file. Rows are held in memory and, " +
		"by the data source, in the state, each with its column names, re-read on every plan: `max_content_bytes` bounds " +
		"that size (4 MiB by default). Rows of a few MiB are fine; beyond, write the file with `output_path` (and " +
		"`output_strip_preamble`) for a tool to process, or read it with the ephemeral resource, which keeps nothing " +
		"in the state."
	unzipDoc = "When the file is a zip (saved-query jobs zip their CSV), yield the file inside it instead. " +
		"Defaults to `true`."
	entryDoc = "With `unzip`, the name of the zip entry to read, for zips that hold several files. " +
		"Without it, a zip must hold exactly one file."
	contentDoc = "The file's bytes as a string, when they are UTF-8 text that a Terraform string holds exactly " +
		"(Unicode normalization form C, as nearly all text is); null otherwise, for a file too large (see " +
		"`max_content_bytes`), and with `decode` (see `rows`). `base64encode(content)` gives the text's bytes base64-encoded."
	contentBase64Doc = "The file's bytes, base64-encoded, when they are not text that `content` holds (a binary file, " +
		"a zip read with `unzip = false`, text in another encoding); null otherwise: exactly one of `content` and " +
		"`content_base64` is set (neither with `decode`), so the file's bytes are held once."
)

var maxContentDoc = fmt.Sprintf("The largest file, in bytes, read into `content` or `content_base64`; a larger one is "+
	"an error. Defaults to %s (`%d`), at most %s (`%d`). Terraform holds several copies of the file in memory, and the "+
	"data source keeps it in the state, re-read on every plan: write a large file to disk with the data source's "+
	"`output_path` instead, where its size does not matter. With `decode`, it bounds instead what is decoded (the "+
	"preamble, the header, and the rows' values each with its column name, as the state holds them) and, also with "+
	"`output_path`, any one CSV record.", byteCount(resultfile.DefaultMaxContentBytes),
	resultfile.DefaultMaxContentBytes, byteCount(resultfile.MaxContentBytes), resultfile.MaxContentBytes)

func (d *jobRunResultFileDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"output_path": schema.StringAttribute{
			MarkdownDescription: "Write the file to this path (atomically: a temporary file, then a rename; missing folders " +
				"are created, as `mkdir -p` does) instead of holding it in the state. `content`, `content_base64` and `rows` then " +
				"stay null. A new file gets the mode a shell redirection gives (`0666` less the umask); a file replaced keeps its " +
				"mode, so a `0600` file stays readable by its owner only; `file_permission` sets the mode instead. A symlink is " +
				"followed, as a shell redirection does: the " +
				"file it points to is replaced and the link stays. A folder is refused: name the file to write. When the server has " +
				"purged the file, nothing is written: a file already there keeps what it held.",
			Optional: true,
		},
		"file_permission": schema.StringAttribute{
			MarkdownDescription: "With `output_path`, the mode of the file written, as an octal string such as `\"0600\"` " +
				"(its owner alone may read it) or `\"0640\"`, as `local_file`'s `file_permission`. The file gets exactly this " +
				"mode, new or replaced, whatever the umask (unlike `local_file`, where the umask applies) and the mode of the " +
				"file it replaces; it is never more open on its way there. For patient data on a shared runner, set " +
				"`\"0600\"`. Unset, a new file gets `0666` less the umask and a file replaced keeps its mode. Folders that " +
				"`output_path` creates get `0777` less the umask.",
			Optional:   true,
			Validators: append(emptyIsUnset(filePermissionValidator), requiresSet{[]path.Expression{path.MatchRoot("output_path")}}),
		},
		"output_strip_preamble": schema.BoolAttribute{
			MarkdownDescription: "With `output_path` and `decode = \"csv\"`, write the CSV from its header on, without the " +
				"export preamble (and its blank line), so that the file on disk is the plain CSV other tools expect. `size` and " +
				"`sha256` are then those of the file written; `export_metadata` still holds the preamble. A file without a " +
				"preamble is written as it is. Defaults to `false`: the file as the server wrote it.",
			Optional:   true,
			Validators: []validator.Bool{requiresSet{[]path.Expression{path.MatchRoot("output_path"), path.MatchRoot("decode")}}},
		},
	}
	for _, a := range resultFileAttrs {
		attrs[a.name] = a.dataSource()
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: resultFileDoc + " With `output_path` the file is written to disk instead of the state. " +
			"Like every data source, it is read again on every plan and apply (and `terraform refresh`): the file is " +
			"downloaded each time, and `output_path` rewritten. To keep the file out of the state entirely, use the " +
			"ephemeral resource of the same name.",
		Attributes: attrs,
	}
}

// resultFileAttr is one attribute that the data source and the ephemeral resource share.
type resultFileAttr struct {
	name, doc                    string
	kind                         attrKind
	required, optional, computed bool
	sensitive                    bool
	int64s                       []validator.Int64
	strings                      []validator.String
}

type attrKind int

const (
	kindString attrKind = iota
	kindInt64
	kindBool
	kindStringMap  // map of strings
	kindStringList // list of strings
	kindRows       // list of maps of strings
)

// elementType is the element type of a collection attribute.
func (a resultFileAttr) elementType() attr.Type {
	if a.kind == kindRows {
		return rowType
	}
	return types.StringType
}

// rowType is the type of one row of a decoded CSV.
var rowType = types.MapType{ElemType: types.StringType}

// resultFileAttrs are the attributes of a result file, for both schemas.
var resultFileAttrs = []resultFileAttr{
	{name: "job_id", doc: "Id of the scheduled job.", kind: kindInt64, required: true,
		int64s: []validator.Int64{int64validator.AtLeast(1)}},
	{name: "run_id", doc: "Required. Id of the run, usually `openspecimen_job_run.<name>.run_id` so that the file is read after " +
		"the run finished. That is null while the resource's trigger has no run identified yet (its `timeouts.create` ended " +
		"while the trigger waited in OpenSpecimen's queue), which is an error here that says so. A recipient of the job's " +
		"files, whom OpenSpecimen does not let read the run, reads the file all the same; that the run belongs to `job_id` " +
		"is then not checked (the server finds a run by its id alone).",
		kind: kindInt64, optional: true, int64s: []validator.Int64{int64validator.AtLeast(1), runIDSet{}}},
	{name: "unzip", doc: unzipDoc, kind: kindBool, optional: true},
	{name: "entry", doc: entryDoc, optional: true},
	{name: "max_content_bytes", doc: maxContentDoc, kind: kindInt64, optional: true,
		int64s: []validator.Int64{int64validator.Between(1, resultfile.MaxContentBytes)}},
	{name: "filename", doc: "The file's name (after unzipping).", computed: true},
	{name: "content_type", doc: "The file's media type.", computed: true},
	{name: "size", doc: "The file's size in bytes (with the data source's `output_strip_preamble`, of the file written).",
		kind: kindInt64, computed: true},
	{name: "sha256", doc: "Hex SHA-256 of the file's bytes (with the data source's `output_strip_preamble`, of the file " +
		"written, so that it matches `filesha256(output_path)`).", computed: true},
	{name: "content", doc: contentDoc, computed: true, sensitive: true},
	{name: "content_base64", doc: contentBase64Doc, computed: true, sensitive: true},
	{name: "decode", doc: decodeDoc, optional: true, strings: emptyIsUnset(stringvalidator.OneOf(decodeCSV))},
	{name: "separator", doc: separatorDoc, optional: true, strings: append(emptyIsUnset(
		stringvalidator.UTF8LengthBetween(1, 1), stringvalidator.NoneOf(`"`, "\r", "\n")),
		requiresSet{[]path.Expression{path.MatchRoot("decode")}})},
	{name: "export_metadata", doc: metadataDoc, kind: kindStringMap, computed: true, sensitive: true},
	{name: "columns", doc: columnsDoc, kind: kindStringList, computed: true, sensitive: true},
	{name: "rows", doc: rowsDoc, kind: kindRows, computed: true, sensitive: true},
}

func (a resultFileAttr) dataSource() schema.Attribute {
	switch a.kind {
	case kindInt64:
		return schema.Int64Attribute{MarkdownDescription: a.doc, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive, Validators: a.int64s}
	case kindBool:
		return schema.BoolAttribute{MarkdownDescription: a.doc, Required: a.required, Optional: a.optional,
			Computed: a.computed, Sensitive: a.sensitive}
	case kindStringMap:
		return schema.MapAttribute{MarkdownDescription: a.doc, ElementType: a.elementType(), Computed: a.computed,
			Sensitive: a.sensitive}
	case kindStringList, kindRows:
		return schema.ListAttribute{MarkdownDescription: a.doc, ElementType: a.elementType(), Computed: a.computed,
			Sensitive: a.sensitive}
	}
	return schema.StringAttribute{MarkdownDescription: a.doc, Required: a.required, Optional: a.optional,
		Computed: a.computed, Sensitive: a.sensitive, Validators: a.strings}
}

func (d *jobRunResultFileDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{unzipDecodeConflict{}}
}

func (d *jobRunResultFileDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *jobRunResultFileDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jobRunResultFileDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !d.data.loggedIn(ctx, &resp.Diagnostics) {
		return
	}
	fr := m.request(d.data.client.Settings())
	fr.OutputPath, fr.StripPreamble = m.OutputPath.ValueString(), m.StripPreamble.ValueBool()
	fr.FileMode = fileMode(m.FilePermission)
	m.fetch(ctx, d.data, fr, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// filePermissionValidator accepts the octal modes file_permission takes: three digits 0-7,
// with a leading 0 or not, and not 000, a file nobody may read.
var filePermissionValidator = stringvalidator.RegexMatches(regexp.MustCompile(`^0?(?:[1-7][0-7]{2}|0[1-7][0-7]|00[1-7])$`),
	"must be an octal file mode of three digits, with a leading 0 or not, such as \"0600\" or \"640\", and not \"0000\"")

// fileMode is the mode file_permission holds (checked by filePermissionValidator); 0 when
// unset.
func fileMode(v types.String) fs.FileMode {
	m, err := strconv.ParseUint(v.ValueString(), 8, 32)
	if err != nil {
		return 0
	}
	return fs.FileMode(m).Perm()
}

// contentAttributes hold the file's bytes once: in content when a Terraform string keeps
// them exactly (UTF-8 in NFC: Terraform normalizes every string to NFC), else in
// content_base64. Both are null for a file written to disk. A file served as text that
// content cannot hold gets a warning, since a configuration reading content finds it null.
func contentAttributes(f *resultfile.File, req resultfile.Request, diags *diag.Diagnostics) (content, contentBase64 types.String) {
	switch {
	case f.Content == nil:
		return types.StringNull(), types.StringNull()
	case utf8.Valid(f.Content) && norm.NFC.IsNormal(f.Content):
		return types.StringValue(string(f.Content)), types.StringNull()
	}
	what := fmt.Sprintf("The result file %s of run %d of job %d", f.Filename, req.RunID, req.JobID)
	switch {
	case utf8.Valid(f.Content):
		diags.AddAttributeWarning(path.Root("content"), "Result file is not NFC text", what+" is UTF-8 text, but in "+
			"decomposed form (not NFC: an accent stored apart from its letter, as macOS writes file names). Terraform turns "+
			"every string into NFC, so content could not hold its bytes exactly: content is null and content_base64 holds "+
			"them. base64decode(content_base64) gives the text (in NFC); decode = \"csv\" reads it as CSV; output_path keeps "+
			"its bytes on disk.")
	case strings.HasPrefix(f.ContentType, "text/"):
		diags.AddAttributeWarning(path.Root("content"), "Result file is not UTF-8 text", fmt.Sprintf("%s is %s, but not "+
			"UTF-8 text, so content is null and content_base64 holds its bytes.", what, f.ContentType))
	}
	return types.StringNull(), types.StringValue(base64.StdEncoding.EncodeToString(f.Content))
}

// tableAttributes are a decoded file's export_metadata, columns and rows: null when the file
// was not decoded, rows null when they were written to disk.
func tableAttributes(t *resultfile.Table, diags *diag.Diagnostics) (metadata types.Map, columns, rows types.List) {
	rows = types.ListNull(rowType)
	if t == nil {
		return types.MapNull(types.StringType), types.ListNull(types.StringType), rows
	}
	metadata = stringMap(t.Metadata, diags)
	names := make([]attr.Value, len(t.Columns))
	for i, name := range t.Columns {
		names[i] = types.StringValue(name)
	}
	columns = listOf(types.StringType, names, diags)
	if t.Rows != nil {
		values := make([]attr.Value, len(t.Rows))
		for i, row := range t.Rows {
			fields := make(map[string]string, len(row))
			for j, v := range row {
				fields[t.Columns[j]] = v
			}
			values[i] = stringMap(fields, diags)
		}
		rows = listOf(rowType, values, diags)
	}
	return metadata, columns, rows
}

func stringMap(m map[string]string, diags *diag.Diagnostics) types.Map {
	values := make(map[string]attr.Value, len(m))
	for k, v := range m {
		values[k] = types.StringValue(v)
	}
	out, d := types.MapValue(types.StringType, values)
	diags.Append(d...)
	return out
}

func listOf(elem attr.Type, values []attr.Value, diags *diag.Diagnostics) types.List {
	out, d := types.ListValue(elem, values)
	diags.Append(d...)
	return out
}

// runIDSet requires run_id, with a message for the null that a pending openspecimen_job_run
// hands over (its run_id while the run of its trigger is not identified), which the
// framework's check of a required attribute would only call missing.
type runIDSet struct{}

func (runIDSet) Description(context.Context) string { return "must be set" }

func (v runIDSet) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (runIDSet) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if !req.ConfigValue.IsNull() {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "run_id is null", "run_id is not set. Set it to the run whose file to "+
		"read, usually openspecimen_job_run.<name>.run_id. That is null while the resource's trigger has no run identified "+
		"yet: its timeouts.create ended while the trigger waited in OpenSpecimen's queue (its warning \"Job run not "+
		"identified yet\" says so), and the next apply finds the run and waits for it. Raise timeouts.create on that "+
		"resource so that the apply waits for the run; or, to fail the apply on purpose before anything reads the file, "+
		"add to it lifecycle { postcondition { condition = self.status == \"SUCCEEDED\" } }.")
}

// fileReader is who reads a result file, for the diagnostics of a read that failed: the
// provider's user, the ephemeral resource or the data source, and, when a wait for the run in
// this provider process ended before the run (runWaits), the timeout that ended it.
type fileReader struct {
	login     string
	ephemeral bool
	cutWait   string
}

// resultFileDiagnostic is what the user sees of an error of resultfile.Fetch, from the data
// source and the ephemeral resource alike (ephemeral), which differ only in the advice for a
// file too large. login is the provider's user. Every diagnostic is an error but that of a
// purged file, a warning. resultfile states what went wrong; the attribute to change, and
// how, is said here.
func resultFileDiagnostic(err error, req resultfile.Request, reader fileReader) diag.Diagnostic {
	job, run := req.JobID, req.RunID
	switch e := err.(type) {
	case *resultfile.RunError:
		return runReadDiagnostic(path.Root("run_id"), job, run, "Check job_id and run_id.", e.Err)
	case *resultfile.NoFileError:
		return noFileDiagnostic(e, req, reader.cutWait)
	case *resultfile.DownloadError:
		return downloadDiagnostic(e, job, run, reader.login)
	case *resultfile.UnzipError:
		return unzipDiagnostic(e, job, run)
	case *resultfile.WriteError:
		return writeDiagnostic(e, job, run)
	case *resultfile.TooLargeError:
		return tooLargeDiagnostic(e, job, run, reader.ephemeral)
	case *resultfile.DecodeError:
		return decodeDiagnostic(e, job, run)
	default:
		return diag.NewErrorDiagnostic("Cannot download result file", fmt.Sprintf(
			"Reading the result file of run %d of job %d failed: %s", run, job, err))
	}
}

// downloadDiagnostic is a download that failed: refused to a user who may neither read the
// run nor download its file (on run_id), or lost.
func downloadDiagnostic(e *resultfile.DownloadError, job, run int64, login string) diag.Diagnostic {
	switch {
	case client.IsCode(e.Err, client.CodeOpNotAllowed):
		return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "Not allowed to read the result file", fmt.Sprintf(
			"OpenSpecimen lets %s neither read run %d of job %d nor download its result file (%s): only an admin, the "+
				"user who ran it and the job's recipients may download it. Add this user to the job's recipients in "+
				"OpenSpecimen, or configure the provider with such a user.", orUnknownUser(login), run, job, e.Err))
	case e.Midway:
		return diag.NewErrorDiagnostic("Cannot download result file", fmt.Sprintf(
			"Reading the result file of run %d of job %d failed: %s", run, job, e.Err))
	}
	return diag.NewErrorDiagnostic("Cannot download result file", fmt.Sprintf(
		"Downloading the result file of run %d of job %d failed: %s", run, job, e.Err))
}

// unzipDiagnostic is a file from which the one asked for cannot be read, on the attribute
// to change: unzip for a file that is no zip or an empty one, entry otherwise.
func unzipDiagnostic(e *resultfile.UnzipError, job, run int64) diag.Diagnostic {
	what := fmt.Sprintf("The result file %s of run %d of job %d: %s.", e.Filename, run, job, e.Err)
	switch {
	case errors.Is(e, resultfile.ErrEntryWithoutZip):
		return diag.NewAttributeErrorDiagnostic(path.Root("entry"), "entry needs a zip", fmt.Sprintf(
			"entry is set, but the result file %s of run %d of job %d is not a zip read with unzip = true. Remove entry.",
			e.Filename, run, job))
	case errors.Is(e, resultfile.ErrNotZip), errors.Is(e, resultfile.ErrZipEmpty):
		return diag.NewAttributeErrorDiagnostic(path.Root("unzip"), "Cannot unzip result file", what+
			" Set unzip = false to read the file itself.")
	case errors.Is(e, resultfile.ErrZipHoldsSeveral), errors.Is(e, resultfile.ErrNoSuchEntry):
		return diag.NewAttributeErrorDiagnostic(path.Root("entry"), "Cannot unzip result file", what+
			" Set entry to the one to read.")
	}
	return diag.NewErrorDiagnostic("Cannot unzip result file", what)
}

// writeDiagnostic is a failure to write the file to output_path: a folder, a device or a
// pipe named, or a write that failed.
func writeDiagnostic(e *resultfile.WriteError, job, run int64) diag.Diagnostic {
	switch {
	case errors.Is(e, resultfile.ErrOutputFolder):
		return diag.NewAttributeErrorDiagnostic(path.Root("output_path"), "output_path is a folder", fmt.Sprintf(
			"output_path %s. Set it to the file to write the result file of run %d of job %d to, such as a file in that folder.",
			e.Err, run, job))
	case errors.Is(e, resultfile.ErrOutputNotRegular):
		return diag.NewAttributeErrorDiagnostic(path.Root("output_path"), "output_path is not a regular file", fmt.Sprintf(
			"output_path %s. The result file of run %d of job %d is written to a temporary file renamed over output_path, "+
				"which a device or a pipe cannot be: set it to a regular file's path.", e.Err, run, job))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("output_path"), "Cannot write result file", fmt.Sprintf(
		"Writing the result file of run %d of job %d to %s failed: %s. Choose a path in a writable folder.",
		run, job, e.Path, e.Err))
}

// decodeDiagnostic is a file that does not decode as the CSV asked for: on separator when
// it looks written with another separator, else on decode.
func decodeDiagnostic(e *resultfile.DecodeError, job, run int64) diag.Diagnostic {
	if e.Separator != 0 {
		return diag.NewAttributeErrorDiagnostic(path.Root("separator"), "Result file has another separator", fmt.Sprintf(
			"Run %d of job %d: %s. Set separator = %s to decode it.", run, job, e, strconv.Quote(string(e.Separator))))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("decode"), "Result file is not the CSV expected", fmt.Sprintf(
		"Run %d of job %d: %s. decode = \"csv\" reads a CSV file (a saved-query export, with or without its preamble); "+
			"remove decode to read the file's bytes in content or content_base64.", run, job, e))
}

// runNotSucceededDiagnostic is a run in progress or failed: it has no file to read yet. A run
// in progress because this apply's wait for it timed out (cutWait: which timeout) says so, and
// what to do.
func runNotSucceededDiagnostic(e *resultfile.NoFileError, job, run int64, cutWait string) diag.Diagnostic {
	if e.Status == client.StatusInProgress && cutWait != "" {
		return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "Job run still in progress: its wait timed out", fmt.Sprintf(
			"Run %d of job %d is still IN_PROGRESS and has no result file yet: the openspecimen_job_run that started it in "+
				"this apply stopped waiting for it at %s, and it goes on on the server. Raise that timeout, so that the apply "+
				"waits until the run has ended; or, to fail the apply on purpose when the run has not succeeded, before anything "+
				"reads its file, add to that resource lifecycle { postcondition { condition = self.status == \"SUCCEEDED\" } }. "+
				"The next apply waits for the run in place and reads its file.", run, job, cutWait))
	}
	if e.Status == client.StatusInProgress {
		return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "Job run still in progress", fmt.Sprintf(
			"Run %d of job %d is still IN_PROGRESS and has no result file yet. Take run_id from the openspecimen_job_run "+
				"resource that starts the run (openspecimen_job_run.<name>.run_id), so that the file is read after it, and "+
				"keep wait_for_completion = true on that resource: with false, it is done as soon as the run has started, "+
				"before the run has written its file.", run, job))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "Job run failed", fmt.Sprintf(
		"Run %d of job %d ended FAILED (%s) and has no result file to read. Fix the job in OpenSpecimen and run it again.",
		run, job, cmp.Or(e.Message, "no message")))
}

// noFileDiagnostic is a run without a file: in progress or failed (the run said so), or
// none on the server. A file purged is a warning, so that a configuration reading an old
// run's file keeps planning; output_path is then not written. A run this user may not read
// (Status "") may also be in progress or failed.
func noFileDiagnostic(e *resultfile.NoFileError, req resultfile.Request, cutWait string) diag.Diagnostic {
	job, run := req.JobID, req.RunID
	switch {
	case e.Err == nil:
		return runNotSucceededDiagnostic(e, job, run, cutWait)
	case e.Purged:
		kept := ""
		if req.OutputPath != "" {
			kept = fmt.Sprintf(" output_path %s was not written: a file there keeps what it held.", req.OutputPath)
		}
		return diag.NewAttributeWarningDiagnostic(path.Root("run_id"), "Result file purged", fmt.Sprintf(
			"Run %d of job %d wrote a result file, but the server no longer has it: OpenSpecimen purges result files "+
				"30 days after the run (the run still lists its file). The file's attributes are null.%s To read the data "+
				"again, run the job again (for a run of an openspecimen_job_run resource: terraform apply "+
				"-replace=openspecimen_job_run.<name>) or read a newer run of the job.", run, job, kept))
	case e.Status == "":
		return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "No result file", fmt.Sprintf(
			"Run %d of job %d has no result file on the server: the run is still in progress, it failed, or the job "+
				"writes none (this user may download the job's files but not read the run, so the provider cannot tell "+
				"which). Read the file once the run has succeeded.", run, job))
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "No result file", fmt.Sprintf(
		"Run %d of job %d (%s) has no result file on the server: %s. Only jobs that write output, such as "+
			"saved-query exports, have one.", run, job, e.Status, cmp.Or(e.Message, "the job wrote none")))
}

// orUnknownUser names the provider's user, or says it is not known yet.
func orUnknownUser(login string) string {
	if login == "" {
		return "this user"
	}
	return "user " + login
}

// tooLargeDiagnostic is a file larger than max_content_bytes: the data source's advice is to
// write it to disk or read it ephemerally, the ephemeral resource's to raise the limit.
func tooLargeDiagnostic(e *resultfile.TooLargeError, job, run int64, ephemeral bool) diag.Diagnostic {
	if e.Line > 0 {
		return diag.NewAttributeErrorDiagnostic(path.Root("max_content_bytes"), "CSV record too large", fmt.Sprintf(
			"The result file %s of run %d of job %d has a CSV record, from line %d on, longer than max_content_bytes (%s); "+
				"decoding holds one record at a time. Raise max_content_bytes (at most %s) if its records are that long, or "+
				"remove decode if the file is not CSV.", e.Filename, run, job, e.Line, byteCount(e.Limit),
			byteCount(resultfile.MaxContentBytes)))
	}
	size := " is larger than"
	switch {
	case e.Decoded:
		size = ", decoded, is larger than"
	case e.Size > 0:
		size = fmt.Sprintf(" is %d bytes, more than", e.Size)
	}
	what := fmt.Sprintf("The result file %s of run %d of job %d%s max_content_bytes (%s).",
		e.Filename, run, job, size, byteCount(e.Limit))
	if ephemeral {
		return diag.NewAttributeErrorDiagnostic(path.Root("max_content_bytes"), "Result file too large", what+
			" Raise max_content_bytes (at most "+byteCount(resultfile.MaxContentBytes)+"), or write the file to disk with "+
			"the data source's output_path.")
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("max_content_bytes"), "Result file too large for state", what+
		" Set output_path to write it to disk instead, or read it with the ephemeral resource of the same name, "+
		"which keeps it out of the state. Raising max_content_bytes (at most "+byteCount(resultfile.MaxContentBytes)+
		") puts it in the state, re-read on every plan.")
}

// byteCount is n in MiB when it is a whole number of them, else in bytes.
func byteCount(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
