package sqlstore

import (
	"os"
	"strconv"
	"strings"
)

// A lease records the process that holds it, so that a claimer on the same
// host can take over a lease whose holder is gone (killed, crashed) at once
// instead of waiting for it to run out. The record is
// "hostname/boot id/pid namespace/pid/start time": two containers that
// share a host name and a kernel but not a pid namespace never judge each
// other's processes, and a pid the kernel reused for another process is
// told apart by its start time. Where /proc does not tell all of that, the
// record is empty and leases only run out.

// thisProcess returns this process's record, or "" when it cannot be known.
func thisProcess() string {
	host, err := os.Hostname()
	if err != nil || host == "" || strings.Contains(host, "/") {
		return ""
	}
	machine := localMachine()
	if machine == "" {
		return ""
	}
	pid := os.Getpid()
	start, _, ok := procStat(pid)
	if !ok {
		return ""
	}
	return host + "/" + machine + "/" + strconv.Itoa(pid) + "/" + start
}

// localMachine identifies the running kernel and pid namespace: pids are
// only comparable within it.
func localMachine() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	b := strings.TrimSpace(string(boot))
	if b == "" || strings.Contains(b, "/") || strings.Contains(ns, "/") {
		return ""
	}
	return b + "/" + ns
}

// procStat returns a process's start time (in clock ticks since boot) and
// whether it has ended but not been reaped yet (a zombie); ok is false when
// there is no such process.
func procStat(pid int) (start string, zombie, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false, false
	}
	// The command name, in parentheses, may hold spaces and parentheses;
	// the fields after the last ')' start with the state (field 3), and
	// the start time is field 22.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", false, false
	}
	return f[19], f[0] == "Z" || f[0] == "X", true
}

// processGone reports whether the process of record, which holds a lease,
// is known to have ended: it ran on this host (self is this process's
// record) and its pid is no longer that process. Anything it cannot be
// sure of counts as running, since taking a live holder's lease would
// let two do the same work.
func processGone(record, self string) bool {
	if record == "" || self == "" || record == self {
		return false
	}
	r, s := strings.Split(record, "/"), strings.Split(self, "/")
	if len(r) != 5 || len(s) != 5 || r[0] != s[0] || r[1] != s[1] || r[2] != s[2] {
		return false
	}
	pid, err := strconv.Atoi(r[3])
	if err != nil || pid <= 0 {
		return false
	}
	start, zombie, ok := procStat(pid)
	if !ok {
		// Only a missing process is gone; /proc that cannot be read
		// for another reason proves nothing.
		_, err := os.Stat("/proc/" + r[3])
		return os.IsNotExist(err)
	}
	return zombie || start != r[4]
}
