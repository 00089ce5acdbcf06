// Package mocktest holds the helpers that tests of every package share to use the mock
// OpenSpecimen server (package mockserver): New starts one for a test and closes it when
// the test ends, Login logs in as a user and answers the session token (what a provider
// configured with an API token holds), and LockedBuffer collects a child process's output
// while the test reads it.
//
// It is for tests only: by convention, only _test.go files import it.
//
//	s := mocktest.New(t, mockserver.Config{Jobs: []mockserver.JobConfig{{ID: 1}}})
//	token := mocktest.Login(t, s, "admin", "Admin@123")
package mocktest
