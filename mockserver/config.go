package mockserver

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Config describes the mock server's users, jobs, seeded run history and faults. The zero
// value is valid: one admin user (admin / Admin@123), no jobs, no runs, no faults.
type Config struct {
	// Line is the server line the mock behaves as: LineNewest (default; jakarta, Spring 6)
	// or LineOlder (javax, Spring 5). Their differences are in ../shared/openspecimen-api.md
	// and the package documentation.
	Line string `json:"line"`
	// Timezone is the IANA zone of the server (the JVM's): the older line reads the run
	// list's dates (yyyy-MM-dd HH:mm) in it, and schedules are computed in it. Default "UTC".
	Timezone string `json:"timezone"`
	// PoolSize is the number of threads that run triggered jobs, shared by all jobs; a
	// trigger waits in the queue for one, and a run holds it until it ends. Default 5, as on
	// the server.
	PoolSize int `json:"poolSize"`
	// FileRetention is how long a run's result file is kept after the run ends, on the
	// server's clock; then it is purged (the run keeps its logFilePath). Default 720h (30 days).
	FileRetention Duration `json:"fileRetention"`
	// MaxLoginSessions, on the newest line, ends a user's oldest sessions at each login so
	// that at most this many remain (auth.max_login_sessions). 0 (default): no limit.
	MaxLoginSessions int `json:"maxLoginSessions"`
	// TokenIdleTimeout is how long a session token lives without use. Default 60m.
	TokenIdleTimeout Duration `json:"tokenIdleTimeout"`
	// Settings are the server's configuration settings: GET /config-settings and its
	// locale and app-props routes answer them, and the exports are written with them.
	Settings SettingsConfig `json:"settings"`
	// Users who may log in. Default: [{admin, Admin@123, admin: true}].
	Users []UserConfig `json:"users"`
	// SystemUser names the server's system user, $system, who runs the scheduled runs of a
	// job without runAs (ScheduledTaskManagerImpl.schedule); it cannot log in. Its
	// loginName is always SystemLoginName; firstName defaults to "System", lastName to
	// "Administrator", email to none. Its id is the one after the configured users'.
	SystemUser UserConfig `json:"systemUser"`
	// Jobs known to the server.
	Jobs []JobConfig `json:"jobs"`
	// SavedQueries are the saved queries a QUERY job may export (savedQuery.id).
	SavedQueries []SavedQueryConfig `json:"savedQueries"`
	// TaskClasses are the INTERNAL task classes the server has (taskImplFqn). Default:
	// DefaultTaskClasses.
	TaskClasses []string `json:"taskClasses"`
	// Runs is the seeded run history. New run ids continue above the highest id here.
	Runs []RunConfig `json:"runs"`
	// Faults injected into the answers; see FaultConfig. Server.SetFaults changes them live.
	Faults FaultConfig `json:"faults"`
	// Logger, when set, receives one line per request: method, path, status, duration.
	// Passwords and tokens are never logged.
	Logger *log.Logger `json:"-"`
	// Clock is the server's time source (run states, start delays, token idle time,
	// dates); nil is the real clock. A test sets a ManualClock to move time itself.
	// Injected latency is real time whatever the clock.
	Clock Clock `json:"-"`
}

// SystemLoginName is the login name of the server's system user (User.SYS_USER).
const SystemLoginName = "$system"

// The server lines of Config.Line.
const (
	LineNewest = "newest" // jakarta, Spring 6
	LineOlder  = "older"  // javax, Spring 5
)

// SettingsConfig holds the server's settings that the mock serves (ConfigurationServiceImpl)
// and writes its exports with (DefaultQueryExportProcessor, CsvFileWriter).
type SettingsConfig struct {
	// FieldSeparator is common.field_separator, the one character between the values of an
	// export, its preamble included. Default ",".
	FieldSeparator string `json:"fieldSeparator"`
	// DateFormat and TimeFormat are common.date_format and common.time_format, Java
	// SimpleDateFormat patterns; "" leaves the setting unset, and the server then uses its
	// messages' formats, "dd MMM yyyy" and "HH:mm". An export's "Exported On" is written
	// with both, a space between.
	DateFormat string `json:"dateFormat"`
	TimeFormat string `json:"timeFormat"`
	// Locale is common.locale, as Java writes a Locale. Default "en_US".
	Locale string `json:"locale"`
	// BuildVersion is the build_version GET /config-settings/app-props answers (the git tag
	// or branch the server was built from). Default: "v13.0" on the newest line, "v12.2" on
	// the older, the mock's choice.
	BuildVersion string `json:"buildVersion"`
	// ExportLabels are the localised labels of an export's preamble (the messages
	// query_exported_by, query_exported_on, query_cp, query_cp_group); each defaults to the
	// English one.
	ExportLabels ExportLabels `json:"exportLabels"`
}

// ExportLabels are the names of an export's preamble lines.
type ExportLabels struct {
	ExportedBy              string `json:"exportedBy"`              // default "Exported By"
	ExportedOn              string `json:"exportedOn"`              // default "Exported On"
	CollectionProtocol      string `json:"collectionProtocol"`      // default "Collection Protocol"
	CollectionProtocolGroup string `json:"collectionProtocolGroup"` // default "Collection Protocol Group"
}

// The messages' formats that stand in for unset date and time settings.
const (
	defaultDateFormat = "dd MMM yyyy"
	defaultTimeFormat = "HH:mm"
)

// dateTimeFormat is the pattern of a date and time as the server writes one in an export.
func (st SettingsConfig) dateTimeFormat() string {
	return cmp.Or(st.DateFormat, defaultDateFormat) + " " + cmp.Or(st.TimeFormat, defaultTimeFormat)
}

// separator is the field separator, as a rune.
func (st SettingsConfig) separator() rune {
	r, _ := utf8.DecodeRuneInString(st.FieldSeparator) // normalize checked it is one
	return r
}

// normalize applies the settings' defaults for line and checks the separator.
func (st *SettingsConfig) normalize(line string, bad *problems) {
	st.FieldSeparator = cmp.Or(st.FieldSeparator, ",")
	if r, size := utf8.DecodeRuneInString(st.FieldSeparator); size != len(st.FieldSeparator) || strings.ContainsRune("\"\r\n", r) {
		bad.add("settings: fieldSeparator %q is not one character other than a quote or a line break", st.FieldSeparator)
	}
	st.Locale = cmp.Or(st.Locale, "en_US")
	if st.BuildVersion == "" {
		st.BuildVersion = map[string]string{LineNewest: "v13.0", LineOlder: "v12.2"}[line]
	}
	l := &st.ExportLabels
	l.ExportedBy = cmp.Or(l.ExportedBy, "Exported By")
	l.ExportedOn = cmp.Or(l.ExportedOn, "Exported On")
	l.CollectionProtocol = cmp.Or(l.CollectionProtocol, "Collection Protocol")
	l.CollectionProtocolGroup = cmp.Or(l.CollectionProtocolGroup, "Collection Protocol Group")
}

// UserConfig is one user account.
type UserConfig struct {
	LoginName string `json:"loginName"`
	Password  string `json:"password"`
	Admin     bool   `json:"admin"`
	FirstName string `json:"firstName"` // default: the login name, capitalised
	LastName  string `json:"lastName"`  // default: "User"
	Email     string `json:"email"`     // default: <loginName>@example.org
	// TimeZone is the user's IANA time zone, in which an export the user runs writes its
	// "Exported On"; "" is the server's.
	TimeZone string `json:"timeZone"`
	// ResetPassword makes login answer only {"resetPasswordToken": "..."} and no token,
	// as the real server does for a user who must change a password; Basic auth fails.
	ResetPassword bool `json:"resetPassword"`
	// NoJobRights takes every right on Scheduled Job away (see JobRights).
	NoJobRights bool `json:"noJobRights"`
	// ID is the user's id; default: its position in Users, 1, 2, ... Ids differ between
	// servers: set them to stand for a test server and production.
	ID int64 `json:"id"`
	// Domain is the user's authentication domain (domainName); default "openspecimen".
	Domain string `json:"domain"`
	// ActivityStatus is Active (default), Pending, Locked, Closed, Expired or Disabled.
	ActivityStatus string `json:"activityStatus"`
	// Institute is the name of the user's institute; default "Default Institute".
	Institute string `json:"institute"`
	// NoQueryRights takes the Query read right away from a non-admin: the /saved-queries
	// calls answer 400 RBAC_ACCESS_DENIED.
	NoQueryRights bool `json:"noQueryRights"`
	// JobRights are the operations the user's role grants on Scheduled Job: OpRead (read,
	// trigger, list runs), OpCreate, OpUpdate, OpDelete. nil grants all four; an admin holds
	// them all whatever this says. A call whose right is missing answers 400
	// RBAC_ACCESS_DENIED; the result file needs no right.
	JobRights []string `json:"jobRights"`
}

// JobConfig is one scheduled job.
type JobConfig struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`     // default "Job <id>"
	Type     string   `json:"type"`     // INTERNAL | EXTERNAL | QUERY (default)
	Duration Duration `json:"duration"` // how long a triggered run stays IN_PROGRESS
	// Spread, when set, varies that length from run to run (see SpreadConfig).
	Spread         *SpreadConfig `json:"spread"`
	Outcome        string        `json:"outcome"`        // SUCCEEDED (default) | FAILED
	Message        string        `json:"message"`        // the error text of its FAILED runs (a successful run's message is null, as on the server)
	ActivityStatus string        `json:"activityStatus"` // Active (default) | Disabled
	RepeatSchedule string        `json:"repeatSchedule"` // MINUTELY | HOURLY | DAILY | WEEKLY | MONTHLY | ONDEMAND (default)
	// Result is the output file of each successful run; nil: the job writes none.
	Result *ResultConfig `json:"result"`
	// StartDelay is how long after a trigger it waits in the queue before it may take a
	// pool thread, whose run record then appears. 0: it may take one right after the
	// trigger's answer is written.
	StartDelay     Duration `json:"startDelay"`
	RtArgsProvided bool     `json:"rtArgsProvided"`
	RtArgsHelpText string   `json:"rtArgsHelpText"`
	// CreatedBy is the login name of the job's creator; default: the first admin user.
	CreatedBy string `json:"createdBy"`
	// Recipients are login names of users who may also download the runs' result files.
	Recipients []string `json:"recipients"`
	// SharedWith are login names of users the job is shared with: they see and run it.
	SharedWith []string `json:"sharedWith"`
	// RunAs is the login name the job's scheduled runs run as; "": none set, and they run
	// as the system user (SystemLoginName).
	RunAs string `json:"runAs"`
	// SavedQueryDeleted makes a QUERY job's saved query deleted, which soft-deletes the job
	// as the server does (QueryServiceImpl.deleteQuery): Disabled, renamed, left out of
	// lists, its savedQuery still shown, not active; its triggers are dropped.
	SavedQueryDeleted bool `json:"savedQueryDeleted"`
	// Deleted makes the job soft-deleted, as DELETE /scheduled-jobs/{id} leaves it: Disabled,
	// renamed <name>_<epochMillis>, left out of job lists, still readable by id.
	Deleted bool `json:"deleted"`
	// StartDate and EndDate bound a scheduled job's activity: on the older line, a job with a
	// repeatSchedule other than ONDEMAND is not active (isActiveJob false) outside them.
	StartDate *time.Time `json:"startDate"`
	EndDate   *time.Time `json:"endDate"`
	// The schedule's fields, as in the job's JSON: those repeatSchedule needs (see
	// README.md) default to every minute or hour, midnight, MONDAY, the 1st; the others
	// are cleared. A value out of range is a configuration error.
	ScheduledHour       *int   `json:"scheduledHour"`
	ScheduledMinute     *int   `json:"scheduledMinute"`
	ScheduledDayOfWeek  string `json:"scheduledDayOfWeek"` // SUNDAY..SATURDAY
	ScheduledDayOfMonth *int   `json:"scheduledDayOfMonth"`
	HourlyInterval      *int   `json:"hourlyInterval"`
	MinutelyInterval    *int   `json:"minutelyInterval"`
	// SavedQueryID is a QUERY job's saved query, one of Config.SavedQueries; 0: a saved
	// query of the job's own id and name.
	SavedQueryID int64  `json:"savedQueryId"`
	TaskImplFqn  string `json:"taskImplFqn"` // "" is written as null, as are Command and FixedArgs
	Command      string `json:"command"`
	FixedArgs    string `json:"fixedArgs"`
}

// queryID is the id of a QUERY job's saved query: SavedQueryID, or the job's own id.
func (j *JobConfig) queryID() int64 {
	if j.SavedQueryID != 0 {
		return j.SavedQueryID
	}
	return j.ID
}

// SavedQueryConfig is one saved query.
type SavedQueryConfig struct {
	ID    int64  `json:"id"`
	Title string `json:"title"` // default "Query <id>"
	// Content is the CSV a run of a QUERY job created through the API exports (after the
	// export's preamble); ${run_id} and ${args} are substituted. Default: a header and one
	// row with the run id and args.
	Content string `json:"content"`
	// CreatedBy is the login name of the query's creator, its owner; default: the first admin.
	CreatedBy string `json:"createdBy"`
	// SharedWith are login names of users the query is shared with (through a query folder
	// shared with them): they see it in their list, as its creator does.
	SharedWith []string `json:"sharedWith"`
	// SharedWithAll puts the query in a folder shared with every user.
	SharedWithAll bool `json:"sharedWithAll"`
	// LastModifiedBy is the login name of the query's last editor; default: CreatedBy.
	LastModifiedBy string `json:"lastModifiedBy"`
	// LastModifiedOn is when the query was last saved; default: the server's start.
	LastModifiedOn *time.Time `json:"lastModifiedOn"`
}

// DefaultTaskClasses are the INTERNAL task classes of Config.TaskClasses by default: a few
// of the server's own.
var DefaultTaskClasses = []string{
	"com.krishagni.catissueplus.core.administrative.services.impl.ExpiredSpecimenReservationsTask",
	"com.krishagni.catissueplus.core.biospecimen.services.impl.ExpiredConsentsNotifierTask",
	"com.krishagni.catissueplus.core.common.services.impl.ExportedFilesCleanerTask",
	"com.krishagni.catissueplus.core.audit.services.impl.AuditLogsArchiverTask",
}

// ResultConfig is a run's output file.
type ResultConfig struct {
	// Filename of the file; ${run_id} is substituted. With Zip the download is
	// "<Filename>.zip", a zip archive holding one entry named Filename. Not with Export.
	Filename string `json:"filename"`
	// Export makes the file a saved-query export as the server writes it: the preamble
	// ("Exported By" the run's user, "Exported On" the run's end, "Collection Protocol"
	// when set, a blank line) before the content, zipped, named
	// scheduled_query_<queryId>_<runId>.csv(.zip), the query id being the job's.
	Export             bool   `json:"export"`
	CollectionProtocol string `json:"collectionProtocol"` // with Export: the preamble's "Collection Protocol"
	// CollectionProtocolGroup, with Export, is the preamble's "Collection Protocol Group", the
	// line a query of a group of protocols writes instead of CollectionProtocol's.
	CollectionProtocolGroup string `json:"collectionProtocolGroup"`
	// Content of the file; ${run_id} and ${args} are substituted per run.
	Content string `json:"content"`
	// ContentBase64 is binary content, served as is (no substitution).
	ContentBase64 string `json:"contentBase64"`
	Zip           bool   `json:"zip"`
	// GenerateBytes, when positive, streams that many generated CSV-like bytes instead of
	// Content, without holding them in memory.
	GenerateBytes int64 `json:"generateBytes"`
	// Missing records a file that is gone from the server's disk: the run lists a
	// logFilePath, but the download answers SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND.
	Missing bool `json:"missing"`

	queryID int64 // with Export: the job's saved query id (JobConfig.queryID), set by forJob
}

// RunConfig is one seeded run. Its status is fixed: a seeded IN_PROGRESS run stays in
// progress forever (and so blocks triggers of its job).
type RunConfig struct {
	ID     int64  `json:"id"`
	JobID  int64  `json:"jobId"`
	Status string `json:"status"` // default: SUCCEEDED with finishedAt, IN_PROGRESS without
	// StartedAt defaults to the server's start time.
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"` // default for a finished run: StartedAt
	RtArgs     string     `json:"rtArgs"`     // "" is written as null
	RunBy      string     `json:"runBy"`      // login name; default: the job's creator
	Message    string     `json:"message"`    // "" is written as null
	// Result is this run's file (only served when the run SUCCEEDED); seeded runs do not
	// inherit the job's result.
	Result *ResultConfig `json:"result"`
}

// FaultConfig injects faults into the server's answers. Draws come from one math/rand/v2
// source seeded with Seed, so a sequential test sees the same faults every time.
type FaultConfig struct {
	// Latency is added before every answer.
	Latency Duration `json:"latency"`
	// ErrorRate is the share (0..1) of requests answered 503 INTERNAL_ERROR (older line:
	// internal_error) before anything else happens.
	ErrorRate float64 `json:"errorRate"`
	// DropResponseRate is the share (0..1) of trigger POSTs that are carried out and then
	// have their connection closed without an answer.
	DropResponseRate float64 `json:"dropResponseRate"`
	Seed             int64   `json:"seed"`
}

// Duration is a time.Duration that reads JSON strings such as "1500ms" or "60m", and
// plain numbers as nanoseconds.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads "1500ms"-style strings or numbers of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		if str == "" {
			*d = 0
			return nil
		}
		v, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("invalid duration %q (want e.g. \"1500ms\" or \"60m\")", str)
		}
		*d = Duration(v)
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("invalid duration %s (want e.g. \"1500ms\" or nanoseconds)", s)
		}
		n = int64(f)
	}
	*d = Duration(n)
	return nil
}

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// ParseConfig reads a JSON configuration (unknown fields are ignored), applies the
// defaults and validates it.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("mockserver config: %w", err)
	}
	return cfg.normalize()
}

// LoadConfig reads and parses the JSON configuration file at path.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("mockserver config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Allowed values, as the real server knows them.
var (
	jobTypes        = []string{"INTERNAL", "EXTERNAL", "QUERY"}
	repeatSchedules = []string{"MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "ONDEMAND"}
	runStatuses     = []string{StatusInProgress, StatusSucceeded, StatusFailed}
)

// Run statuses.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusSucceeded  = "SUCCEEDED"
	StatusFailed     = "FAILED"
)

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// problems collects the configuration errors found, in the order found.
type problems []error

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Errorf(format, args...))
}

// normalize returns a copy of c with defaults applied, or the problems found.
// It is idempotent.
func (c Config) normalize() (Config, error) {
	var bad problems
	c.normalizeServer(&bad)
	var users map[string]bool
	var firstAdmin string
	c.Users, users, firstAdmin = normalizeUsers(c.Users, &bad)
	c.SystemUser = normalizeSystemUser(c.SystemUser)
	var jobs map[int64]*JobConfig
	var queries map[int64]bool
	c.SavedQueries, queries = normalizeSavedQueries(c.SavedQueries, &bad)
	normalizeQueryOwners(c.SavedQueries, users, firstAdmin, &bad)
	if len(c.TaskClasses) == 0 {
		c.TaskClasses = append([]string(nil), DefaultTaskClasses...)
	}
	c.Jobs, jobs = normalizeJobs(c.Jobs, users, firstAdmin, &bad)
	for i, j := range c.Jobs {
		if j.SavedQueryID != 0 && !queries[j.SavedQueryID] {
			bad.add("jobs[%d] (id %d): savedQueryId %d is not a configured saved query", i, j.ID, j.SavedQueryID)
		}
	}
	c.Runs = normalizeRuns(c.Runs, jobs, users, &bad)
	c.Settings.normalize(c.Line, &bad)
	c.Faults.check(&bad)
	if len(bad) > 0 {
		return Config{}, fmt.Errorf("mockserver config: %w", errors.Join(bad...))
	}
	return c, nil
}

// normalizeServer defaults and checks the time zone and the token idle timeout.
func (c *Config) normalizeServer(bad *problems) {
	if c.Line == "" {
		c.Line = LineNewest
	}
	if c.Line != LineNewest && c.Line != LineOlder {
		bad.add("line %q is not %q or %q", c.Line, LineNewest, LineOlder)
	}
	if c.PoolSize < 0 {
		bad.add("poolSize %d is negative", c.PoolSize)
	}
	if c.PoolSize == 0 {
		c.PoolSize = 5
	}
	if c.FileRetention < 0 {
		bad.add("fileRetention %s is negative", c.FileRetention)
	}
	if c.FileRetention == 0 {
		c.FileRetention = Duration(30 * 24 * time.Hour)
	}
	if c.MaxLoginSessions < 0 {
		bad.add("maxLoginSessions %d is negative", c.MaxLoginSessions)
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad.add("timezone %q is not an IANA time zone: %v", c.Timezone, err)
	}
	if c.TokenIdleTimeout < 0 {
		bad.add("tokenIdleTimeout %s is negative", c.TokenIdleTimeout)
	}
	if c.TokenIdleTimeout == 0 {
		c.TokenIdleTimeout = Duration(60 * time.Minute)
	}
}

// normalizeUsers answers a copy of the users with defaults applied (one admin when there
// are none), the set of login names, and the default job creator: the first admin, else
// the first user.
func normalizeUsers(in []UserConfig, bad *problems) (out []UserConfig, users map[string]bool, firstAdmin string) {
	if len(in) == 0 {
		out = []UserConfig{{LoginName: "admin", Password: "Admin@123", Admin: true}}
	} else {
		out = append([]UserConfig(nil), in...)
	}
	users = map[string]bool{}
	for i := range out {
		u := &out[i]
		u.normalize(i, users, bad)
		users[u.LoginName] = true
		if u.Admin && firstAdmin == "" {
			firstAdmin = u.LoginName
		}
		u.applyDirectoryDefaults(i, bad)
	}
	checkUserIDs(out, bad)
	if firstAdmin == "" && len(out) > 0 {
		firstAdmin = out[0].LoginName
	}
	return out, users, firstAdmin
}

// normalizeSystemUser answers the system user with its login name and defaults.
func normalizeSystemUser(u UserConfig) UserConfig {
	u.LoginName, u.Password, u.Admin = SystemLoginName, "", true
	u.Domain = cmp.Or(u.Domain, defaultDomain)
	if u.FirstName == "" {
		u.FirstName = "System"
	}
	if u.LastName == "" {
		u.LastName = "Administrator"
	}
	return u
}

// normalize applies a user's defaults and checks its fields; seen holds the login names of
// the users before it.
func (u *UserConfig) normalize(i int, seen map[string]bool, bad *problems) {
	switch {
	case u.LoginName == "":
		bad.add("users[%d]: loginName is empty", i)
	case seen[u.LoginName]:
		bad.add("users[%d]: duplicate loginName %q", i, u.LoginName)
	case u.LoginName == SystemLoginName:
		bad.add("users[%d]: loginName %q is the system user's (see systemUser)", i, u.LoginName)
	}
	if u.Password == "" {
		bad.add("users[%d] (%s): password is empty", i, u.LoginName)
	}
	if _, err := time.LoadLocation(u.TimeZone); err != nil {
		bad.add("users[%d] (%s): timeZone %q is not an IANA time zone: %v", i, u.LoginName, u.TimeZone, err)
	}
	for _, op := range u.JobRights {
		if !oneOf(op, jobOps) {
			bad.add("users[%d] (%s): jobRights %q is not one of %s", i, u.LoginName, op, strings.Join(jobOps, ", "))
		}
	}
	if u.FirstName == "" && u.LoginName != "" {
		u.FirstName = strings.ToUpper(u.LoginName[:1]) + u.LoginName[1:]
	}
	if u.LastName == "" {
		u.LastName = "User"
	}
	if u.Email == "" {
		u.Email = u.LoginName + "@example.org"
	}
}

// normalizeJobs answers a copy of the jobs with defaults applied, and the jobs by id.
func normalizeJobs(in []JobConfig, users map[string]bool, firstAdmin string, bad *problems) ([]JobConfig, map[int64]*JobConfig) {
	out := append([]JobConfig(nil), in...)
	jobs := map[int64]*JobConfig{}
	for i := range out {
		j := &out[i]
		where := fmt.Sprintf("jobs[%d] (id %d)", i, j.ID)
		if j.ID <= 0 {
			bad.add("%s: id must be positive", where)
		} else if jobs[j.ID] != nil {
			bad.add("%s: duplicate job id %d", where, j.ID)
		}
		jobs[j.ID] = j
		j.normalize(where, users, firstAdmin, bad)
	}
	return out, jobs
}

// normalize applies a job's defaults and checks its fields.
func (j *JobConfig) normalize(where string, users map[string]bool, firstAdmin string, bad *problems) {
	j.applyDefaults()
	j.checkEnums(where, bad)
	if j.Duration < 0 {
		bad.add("%s: duration %s is negative", where, j.Duration)
	}
	if j.StartDelay < 0 {
		bad.add("%s: startDelay %s is negative", where, j.StartDelay)
	}
	if err := j.Spread.validate(); err != nil {
		bad.add("%s: spread: %v", where, err)
	}
	if j.CreatedBy == "" {
		j.CreatedBy = firstAdmin
	} else if !users[j.CreatedBy] {
		bad.add("%s: createdBy %q is not a configured user", where, j.CreatedBy)
	}
	for _, r := range j.Recipients {
		if !users[r] {
			bad.add("%s: recipient %q is not a configured user", where, r)
		}
	}
	for _, u := range j.SharedWith {
		if !users[u] {
			bad.add("%s: sharedWith %q is not a configured user", where, u)
		}
	}
	if j.RunAs != "" && !users[j.RunAs] {
		bad.add("%s: runAs %q is not a configured user", where, j.RunAs)
	}
	if err := j.Result.validate(); err != nil {
		bad.add("%s: result: %v", where, err)
	}
	j.Result = j.Result.forJob(j.queryID())
	j.normalizeSchedule(where, bad)
}

// normalizeSchedule defaults the schedule fields repeatSchedule needs, clears the others,
// and reports a value out of range.
func (j *JobConfig) normalizeSchedule(where string, bad *problems) {
	if !oneOf(j.RepeatSchedule, repeatSchedules) {
		return // checkEnums reported it
	}
	sc := j.schedule()
	sc.applyDefaults()
	for _, e := range sc.check() {
		bad.add("%s: %s", where, e.Message)
	}
	j.setSchedule(sc)
}

// normalizeSavedQueries answers a copy of the saved queries with defaults applied, and
// their ids.
func normalizeSavedQueries(in []SavedQueryConfig, bad *problems) ([]SavedQueryConfig, map[int64]bool) {
	out := append([]SavedQueryConfig(nil), in...)
	ids := map[int64]bool{}
	for i := range out {
		q := &out[i]
		if q.ID <= 0 {
			bad.add("savedQueries[%d] (id %d): id must be positive", i, q.ID)
		} else if ids[q.ID] {
			bad.add("savedQueries[%d] (id %d): duplicate saved query id", i, q.ID)
		}
		ids[q.ID] = true
		if q.Title == "" {
			q.Title = fmt.Sprintf("Query %d", q.ID)
		}
		if q.Content == "" {
			q.Content = "Run ID,Arguments\n${run_id},${args}\n"
		}
		if err := checkExportContent(q.Content); err != nil {
			bad.add("savedQueries[%d] (id %d): %v", i, q.ID, err)
		}
	}
	return out, ids
}

// applyDefaults fills in the job's empty name, type, outcome, activity status and schedule.
func (j *JobConfig) applyDefaults() {
	if j.Name == "" {
		j.Name = fmt.Sprintf("Job %d", j.ID)
	}
	if j.Type == "" {
		j.Type = "QUERY"
	}
	if j.SavedQueryDeleted && j.Type == "QUERY" {
		j.Deleted = true
	}
	if j.Deleted {
		j.ActivityStatus = "Disabled"
	}
	if j.Outcome == "" {
		j.Outcome = StatusSucceeded
	}
	if j.ActivityStatus == "" {
		j.ActivityStatus = "Active"
	}
	if j.RepeatSchedule == "" {
		j.RepeatSchedule = "ONDEMAND"
	}
}

// checkEnums reports a type, outcome, activity status or schedule the real server does not know.
func (j *JobConfig) checkEnums(where string, bad *problems) {
	if !oneOf(j.Type, jobTypes) {
		bad.add("%s: type %q is not one of %s", where, j.Type, strings.Join(jobTypes, ", "))
	}
	if j.Outcome != StatusSucceeded && j.Outcome != StatusFailed {
		bad.add("%s: outcome %q is not SUCCEEDED or FAILED", where, j.Outcome)
	}
	if j.ActivityStatus != "Active" && j.ActivityStatus != "Disabled" {
		bad.add("%s: activityStatus %q is not Active or Disabled", where, j.ActivityStatus)
	}
	if !oneOf(j.RepeatSchedule, repeatSchedules) {
		bad.add("%s: repeatSchedule %q is not one of %s", where, j.RepeatSchedule, strings.Join(repeatSchedules, ", "))
	}
}

// normalizeRuns answers a copy of the seeded runs with defaults applied.
func normalizeRuns(in []RunConfig, jobs map[int64]*JobConfig, users map[string]bool, bad *problems) []RunConfig {
	out := append([]RunConfig(nil), in...)
	ids := map[int64]bool{}
	for i := range out {
		r := &out[i]
		where := fmt.Sprintf("runs[%d] (id %d)", i, r.ID)
		if r.ID <= 0 {
			bad.add("%s: id must be positive", where)
		} else if ids[r.ID] {
			bad.add("%s: duplicate run id %d", where, r.ID)
		}
		ids[r.ID] = true
		r.normalize(where, jobs[r.JobID], users, bad)
	}
	return out
}

// normalize applies a seeded run's defaults and checks its fields; job is its job, nil
// when unknown.
func (r *RunConfig) normalize(where string, job *JobConfig, users map[string]bool, bad *problems) {
	if job == nil {
		bad.add("%s: jobId %d is not a configured job", where, r.JobID)
	}
	r.normalizeStatus(where, bad)
	if r.RunBy == "" && job != nil {
		r.RunBy = job.CreatedBy
	} else if r.RunBy != "" && !users[r.RunBy] {
		bad.add("%s: runBy %q is not a configured user", where, r.RunBy)
	}
	if err := r.Result.validate(); err != nil {
		bad.add("%s: result: %v", where, err)
	}
	if job != nil {
		r.Result = r.Result.forJob(job.queryID())
	}
}

// normalizeStatus defaults a seeded run's status from its finish and checks the status
// against the finish and the start.
func (r *RunConfig) normalizeStatus(where string, bad *problems) {
	if r.Status == "" {
		r.Status = StatusSucceeded
		if r.FinishedAt == nil {
			r.Status = StatusInProgress
		}
	}
	if !oneOf(r.Status, runStatuses) {
		bad.add("%s: status %q is not one of %s", where, r.Status, strings.Join(runStatuses, ", "))
	}
	if r.Status == StatusInProgress && r.FinishedAt != nil {
		bad.add("%s: an IN_PROGRESS run has no finishedAt", where)
	}
	if r.StartedAt != nil && r.FinishedAt != nil && r.FinishedAt.Before(*r.StartedAt) {
		bad.add("%s: finishedAt is before startedAt", where)
	}
}

// check reports rates outside 0..1 (NaN included) and a negative latency.
func (f FaultConfig) check(bad *problems) {
	if f.Latency < 0 {
		bad.add("faults: latency %s is negative", f.Latency)
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 || f.ErrorRate != f.ErrorRate {
		bad.add("faults: errorRate %v is not between 0 and 1", f.ErrorRate)
	}
	if f.DropResponseRate < 0 || f.DropResponseRate > 1 || f.DropResponseRate != f.DropResponseRate {
		bad.add("faults: dropResponseRate %v is not between 0 and 1", f.DropResponseRate)
	}
}

// forJob is the server's own copy of a result of a job whose saved query is queryID
// (configurations may share one).
func (r *ResultConfig) forJob(queryID int64) *ResultConfig {
	if r == nil {
		return nil
	}
	c := *r
	c.queryID = queryID
	return &c
}

func (r *ResultConfig) validate() error {
	if r == nil {
		return nil
	}
	if err := r.checkName(); err != nil {
		return err
	}
	set := 0
	if r.Content != "" {
		set++
	}
	if r.ContentBase64 != "" {
		set++
		if _, err := base64.StdEncoding.DecodeString(r.ContentBase64); err != nil {
			return fmt.Errorf("contentBase64 is not base64: %v", err)
		}
	}
	if r.GenerateBytes < 0 {
		return fmt.Errorf("generateBytes %d is negative", r.GenerateBytes)
	}
	if r.GenerateBytes > 0 {
		set++
	}
	if r.Export && r.Content != "" {
		if err := checkExportContent(r.Content); err != nil {
			return err
		}
	}
	if set > 1 {
		return errors.New("set only one of content, contentBase64 and generateBytes")
	}
	return nil
}

// checkName checks the file's name: Filename, or an export's own.
func (r *ResultConfig) checkName() error {
	switch {
	case r.Export && r.Filename != "":
		return fmt.Errorf("an export is named scheduled_query_<queryId>_<runId>.csv.zip: remove filename %q", r.Filename)
	case !r.Export && (r.CollectionProtocol != "" || r.CollectionProtocolGroup != ""):
		return errors.New("collectionProtocol and collectionProtocolGroup are part of an export's preamble: set export too")
	case r.CollectionProtocol != "" && r.CollectionProtocolGroup != "":
		return errors.New("an export names a collection protocol or a group of them, not both: set collectionProtocol or collectionProtocolGroup")
	case !r.Export && r.Filename == "":
		return errors.New("filename is empty")
	case strings.ContainsAny(r.Filename, "/\\\"\r\n"):
		return fmt.Errorf("filename %q holds a slash, quote or newline", r.Filename)
	}
	return nil
}

// DemoConfig is the built-in data set of the command (see README.md): users admin and
// alice (every job is shared with her), a succeeding saved-query export (a zipped CSV with
// its preamble), a failing job, a disabled job, a little run history, and saved queries 101
// and 102 for jobs created through the API.
func DemoConfig() Config {
	at := func(s string) *time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return &t
	}
	specimens := &ResultConfig{
		Export: true,
		Content: "Specimen ID,Label,Collection Protocol,Type,Run ID,Arguments\n" +
			"1001,SP-1001,CP-TB,Whole Blood,${run_id},${args}\n" +
			"1002,SP-1002,CP-TB,Plasma,${run_id},${args}\n" +
			"1003,SP-1003,CP-HEART,Serum,${run_id},${args}\n",
	}
	return Config{
		Timezone: "UTC",
		Users: []UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true, FirstName: "Super", LastName: "Admin", Email: "admin@example.org"},
			{LoginName: "alice", Password: "Alice@123", FirstName: "Alice", LastName: "Smith", Email: "alice@example.org"},
		},
		Jobs: []JobConfig{
			{ID: 1, Name: "Specimen export", Type: "QUERY", Duration: Duration(2 * time.Second),
				RtArgsProvided: true, RtArgsHelpText: "--cp <collection protocol>", Result: specimens, SharedWith: []string{"alice"}},
			{ID: 2, Name: "Broken job", Type: "QUERY", Duration: Duration(time.Second),
				Outcome: StatusFailed, Message: "Query failed: timeout", SharedWith: []string{"alice"}},
			{ID: 3, Name: "Retired export", Type: "QUERY", ActivityStatus: "Disabled", RepeatSchedule: "DAILY", SharedWith: []string{"alice"}},
		},
		SavedQueries: []SavedQueryConfig{
			{ID: 101, Title: "Specimens by collection protocol", Content: "Specimen ID,Label,Collection Protocol,Run ID\n" +
				"1001,SP-1001,CP-TB,${run_id}\n1002,SP-1002,CP-TB,${run_id}\n"},
			{ID: 102, Title: "Participants", Content: "Participant ID,Collection Protocol\n501,CP-TB\n502,CP-HEART\n"},
		},
		Runs: []RunConfig{
			{ID: 1, JobID: 1, Status: StatusSucceeded, StartedAt: at("2024-01-15T06:15:00Z"), FinishedAt: at("2024-01-15T06:15:02Z"),
				RtArgs: "--cp CP-TB", RunBy: "admin", Result: specimens},
			{ID: 2, JobID: 1, Status: StatusSucceeded, StartedAt: at("2024-01-16T09:30:00Z"), FinishedAt: at("2024-01-16T09:30:02Z"),
				RtArgs: "--cp CP-HEART", RunBy: "alice", Result: specimens},
			{ID: 3, JobID: 2, Status: StatusFailed, StartedAt: at("2024-01-16T10:00:00Z"), FinishedAt: at("2024-01-16T10:00:01Z"),
				RunBy: "admin", Message: "Query failed: timeout"},
		},
	}
}
