package provider

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

var (
	_ datasource.DataSource              = (*jobRunResultFileDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*jobRunResultFileDataSource)(nil)
)

// maxContentBytes bounds a result held in state or memory. Larger files belong on disk,
// through output_path, where memory stays flat whatever their size.
const maxContentBytes = 64 << 20

type jobRunResultFileDataSource struct {
	data *providerData
}

// resultFileModel is what the data source and the ephemeral resource share.
type resultFileModel struct {
	JobID         types.Int64  `tfsdk:"job_id"`
	RunID         types.Int64  `tfsdk:"run_id"`
	Unzip         types.Bool   `tfsdk:"unzip"`
	Entry         types.String `tfsdk:"entry"`
	Filename      types.String `tfsdk:"filename"`
	ContentType   types.String `tfsdk:"content_type"`
	Size          types.Int64  `tfsdk:"size"`
	SHA256        types.String `tfsdk:"sha256"`
	Content       types.String `tfsdk:"content"`
	ContentBase64 types.String `tfsdk:"content_base64"`
}

type jobRunResultFileDataSourceModel struct {
	resultFileModel
	OutputPath types.String `tfsdk:"output_path"`
}

// fetch reads the file the model asks for, to outputPath or into memory, and fills in the
// computed attributes.
func (m *resultFileModel) fetch(ctx context.Context, c *client.Client, outputPath string, diags *diag.Diagnostics) {
	f, d := fetchResultFile(ctx, c, resultFileRequest{
		jobID:      m.JobID.ValueInt64(),
		runID:      m.RunID.ValueInt64(),
		unzip:      m.Unzip.IsNull() || m.Unzip.ValueBool(),
		entry:      m.Entry.ValueString(),
		outputPath: outputPath,
	})
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	m.Filename = types.StringValue(f.filename)
	m.ContentType = types.StringValue(f.contentType)
	m.Size = types.Int64Value(f.size)
	m.SHA256 = types.StringValue(f.sha256)
	m.Content, m.ContentBase64 = f.contentAttributes(diags)
}

// NewJobRunResultFileDataSource is the factory the provider registers.
func NewJobRunResultFileDataSource() datasource.DataSource {
	return &jobRunResultFileDataSource{}
}

func (d *jobRunResultFileDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_job_run_result_file"
}

// Descriptions shared by the data source and the ephemeral resource.
const (
	resultFileDoc = "Reads the output file of a job run, such as the CSV of a saved-query export. " +
		"Result files of a biobank can hold patient data: `content` and `content_base64` are sensitive."
	unzipDoc = "When the file is a zip (saved-query jobs zip their CSV), yield the file inside it instead. " +
		"Defaults to `true`."
	entryDoc = "With `unzip`, the name of the zip entry to read, for zips that hold several files. " +
		"Without it, a zip must hold exactly one file."
	contentDoc       = "The file's bytes as a string, when they are UTF-8; null otherwise (use `content_base64`)."
	contentBase64Doc = "The file's bytes, base64-encoded."
)

func (d *jobRunResultFileDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: resultFileDoc + " With `output_path` the file is written to disk instead of the state. " +
			"To keep the file out of the state entirely, use the ephemeral resource of the same name.",
		Attributes: map[string]schema.Attribute{
			"job_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the scheduled job.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"run_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the run, usually `openspecimen_job_run.<name>.run_id` so that the file is read after the run finished.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"unzip": schema.BoolAttribute{MarkdownDescription: unzipDoc, Optional: true},
			"entry": schema.StringAttribute{
				MarkdownDescription: entryDoc,
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"output_path": schema.StringAttribute{
				MarkdownDescription: "Write the file to this path (atomically: a temporary file, then a rename; parent folders " +
					"are created) instead of holding it in the state. `content` and `content_base64` then stay null.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"filename":     schema.StringAttribute{MarkdownDescription: "The file's name (after unzipping).", Computed: true},
			"content_type": schema.StringAttribute{MarkdownDescription: "The file's media type.", Computed: true},
			"size":         schema.Int64Attribute{MarkdownDescription: "The file's size in bytes.", Computed: true},
			"sha256":       schema.StringAttribute{MarkdownDescription: "Hex SHA-256 of the file's bytes.", Computed: true},
			"content":      schema.StringAttribute{MarkdownDescription: contentDoc, Computed: true, Sensitive: true},
			"content_base64": schema.StringAttribute{
				MarkdownDescription: contentBase64Doc, Computed: true, Sensitive: true,
			},
		},
	}
}

func (d *jobRunResultFileDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *jobRunResultFileDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m jobRunResultFileDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fetch(ctx, d.data.client, m.OutputPath.ValueString(), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

type resultFileRequest struct {
	jobID, runID int64
	unzip        bool
	entry        string
	outputPath   string // empty: keep the bytes in memory
}

type resultFile struct {
	filename, contentType string
	size                  int64
	sha256                string
	content               []byte // nil when written to outputPath
	jobID, runID          int64
}

// contentAttributes are null for a file written to disk; content alone is null, with a
// warning, for bytes that are not UTF-8 (a string attribute would corrupt them).
func (f *resultFile) contentAttributes(diags *diag.Diagnostics) (content, contentBase64 types.String) {
	if f.content == nil {
		return types.StringNull(), types.StringNull()
	}
	contentBase64 = types.StringValue(base64.StdEncoding.EncodeToString(f.content))
	if !utf8.Valid(f.content) {
		diags.AddAttributeWarning(path.Root("content"), "Result file is not text",
			fmt.Sprintf("The result file %s of run %d of job %d is not UTF-8 text, so content is null. Use content_base64, "+
				"or output_path to write it to disk.", f.filename, f.runID, f.jobID))
		return types.StringNull(), contentBase64
	}
	return types.StringValue(string(f.content)), contentBase64
}

// fetchResultFile reads a run's output file, unzipping it if asked, into memory or atomically
// to outputPath. A zip is spooled to a temporary file because reading its directory needs
// random access; nothing else is buffered beyond maxContentBytes.
func fetchResultFile(ctx context.Context, c *client.Client, req resultFileRequest) (*resultFile, diag.Diagnostics) {
	var diags diag.Diagnostics
	run, err := c.GetRun(ctx, req.jobID, req.runID)
	if err != nil {
		if client.IsNotFound(err) {
			diags.AddAttributeError(path.Root("run_id"), "Job run not found", fmt.Sprintf(
				"Run %d of job %d does not exist in OpenSpecimen, or this user cannot see it. Check job_id and run_id.", req.runID, req.jobID))
		} else {
			diags.AddError("Cannot read job run", fmt.Sprintf("Reading run %d of job %d failed: %s", req.runID, req.jobID, err))
		}
		return nil, diags
	}
	switch run.Status {
	case client.StatusInProgress:
		diags.AddAttributeError(path.Root("run_id"), "Job run still in progress", fmt.Sprintf(
			"Run %d of job %d is still IN_PROGRESS and has no result file yet. Make this data source depend on the "+
				"openspecimen_job_run resource (use its run_id) so that it is read after the run has finished.", req.runID, req.jobID))
		return nil, diags
	case client.StatusFailed:
		diags.AddAttributeError(path.Root("run_id"), "Job run failed", fmt.Sprintf(
			"Run %d of job %d ended FAILED (%s) and has no result file to read. Fix the job in OpenSpecimen and run it again.",
			req.runID, req.jobID, messageOr(run.MessageText(), "no message")))
		return nil, diags
	}

	rf, err := c.OpenResultFile(ctx, req.jobID, req.runID)
	if err != nil {
		if client.IsCode(err, "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE") || client.IsCode(err, "SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND") {
			diags.AddAttributeError(path.Root("run_id"), "No result file", fmt.Sprintf(
				"Run %d of job %d (%s) has no result file on the server: %s. Only jobs that write output, such as "+
					"saved-query exports, have one.", req.runID, req.jobID, run.Status, messageOr(run.MessageText(), "the job wrote none")))
		} else {
			diags.AddError("Cannot download result file", fmt.Sprintf("Downloading the result file of run %d of job %d failed: %s", req.runID, req.jobID, err))
		}
		return nil, diags
	}
	defer rf.Body.Close()

	out := &resultFile{filename: rf.Filename, contentType: rf.ContentType, jobID: req.jobID, runID: req.runID}
	body := bufio.NewReader(rf.Body)
	magic, _ := body.Peek(4)
	isZip := strings.HasSuffix(strings.ToLower(rf.Filename), ".zip") || bytes.Equal(magic, []byte("PK\x03\x04"))

	var src io.Reader = body
	switch {
	case req.unzip && isZip:
		entry, cleanup, err := openSingleEntry(body, req.entry)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			diags.AddAttributeError(path.Root("entry"), "Cannot unzip result file", fmt.Sprintf(
				"The result file %s of run %d of job %d: %s", rf.Filename, req.runID, req.jobID, err))
			return nil, diags
		}
		defer entry.Close()
		src = entry
		out.filename = filepath.Base(entry.name)
		out.contentType = mime.TypeByExtension(filepath.Ext(out.filename))
		if out.contentType == "" {
			out.contentType = "application/octet-stream"
		}
	case req.entry != "":
		diags.AddAttributeError(path.Root("entry"), "entry needs a zip", fmt.Sprintf(
			"entry is set, but the result file %s of run %d of job %d is not a zip read with unzip = true. Remove entry.",
			rf.Filename, req.runID, req.jobID))
		return nil, diags
	}

	h := sha256.New()
	if req.outputPath != "" {
		out.size, err = writeAtomically(req.outputPath, src, h)
		if err != nil {
			diags.AddAttributeError(path.Root("output_path"), "Cannot write result file", fmt.Sprintf(
				"Writing the result file of run %d of job %d to %s failed: %s. Choose a path in a writable folder.",
				req.runID, req.jobID, req.outputPath, err))
			return nil, diags
		}
	} else {
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(io.TeeReader(src, h), maxContentBytes+1))
		if err != nil {
			diags.AddError("Cannot download result file", fmt.Sprintf("Reading the result file of run %d of job %d failed: %s", req.runID, req.jobID, err))
			return nil, diags
		}
		if n > maxContentBytes {
			diags.AddError("Result file too large for state", fmt.Sprintf(
				"The result file %s of run %d of job %d is larger than %d MiB. Set output_path to write it to disk instead.",
				out.filename, req.runID, req.jobID, maxContentBytes>>20))
			return nil, diags
		}
		out.size, out.content = n, buf.Bytes()
	}
	out.sha256 = hexSum(h)
	return out, diags
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// zipEntry is an open zip member and its name inside the zip.
type zipEntry struct {
	io.ReadCloser
	name string
}

// openSingleEntry spools a zip to a temporary file and opens the named entry, or the only
// file in it. cleanup, when not nil, removes the temporary file.
func openSingleEntry(r io.Reader, name string) (*zipEntry, func(), error) {
	tmp, err := os.CreateTemp("", "openspecimen-result-*.zip")
	if err != nil {
		return nil, nil, fmt.Errorf("no temporary file to unzip into: %w", err)
	}
	var zr *zip.ReadCloser
	cleanup := func() {
		if zr != nil {
			zr.Close()
		}
		tmp.Close()
		os.Remove(tmp.Name())
	}
	if _, err := io.Copy(tmp, r); err != nil {
		return nil, cleanup, fmt.Errorf("download failed: %w", err)
	}
	if zr, err = zip.OpenReader(tmp.Name()); err != nil {
		return nil, cleanup, fmt.Errorf("it is not a valid zip (%v); set unzip = false to read it as it is", err)
	}
	var files []*zip.File
	var names []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		files = append(files, f)
		names = append(names, f.Name)
	}
	sort.Strings(names)
	var pick *zip.File
	switch {
	case name != "":
		for _, f := range files {
			if f.Name == name {
				pick = f
			}
		}
		if pick == nil {
			return nil, cleanup, fmt.Errorf("the zip has no entry %q; its entries are %s", name, quoteList(names))
		}
	case len(files) == 1:
		pick = files[0]
	case len(files) == 0:
		return nil, cleanup, errors.New("the zip is empty; set unzip = false to read the zip itself")
	default:
		return nil, cleanup, fmt.Errorf("the zip holds %d files (%s); set entry to the one to read", len(files), quoteList(names))
	}
	rc, err := pick.Open()
	if err != nil {
		return nil, cleanup, fmt.Errorf("cannot open entry %q: %w", pick.Name, err)
	}
	return &zipEntry{ReadCloser: rc, name: pick.Name}, cleanup, nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// writeAtomically writes r to dest through a temporary file in dest's folder, so that a
// reader of dest never sees a partial file, even when the download fails midway.
func writeAtomically(dest string, r io.Reader, h hash.Hash) (int64, error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := copyWithWriteback(tmp, r, h)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	return n, err
}

// writebackChunk is how much is written before the kernel is asked to start writing it out.
const writebackChunk = 8 << 20

// copyWithWriteback copies r to f and to h, starting the writeback of each chunk as it is
// written: the fsync before the rename then finds the file mostly on disk already, instead
// of writing hundreds of MiB while the user waits (a fifth of a 512 MiB download, measured).
// h is fed inline: on another goroutine it only competed for the cores of a busy machine.
func copyWithWriteback(f *os.File, r io.Reader, h hash.Hash) (int64, error) {
	buf := make([]byte, 1<<20)
	var n, flushed int64
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := f.Write(buf[:m]); err != nil {
				return n, err
			}
			h.Write(buf[:m])
			n += int64(m)
			if n-flushed >= writebackChunk {
				startWriteback(f, flushed, n-flushed)
				flushed = n
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
