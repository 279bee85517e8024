#pragma once
// What a report says about where it ran: the CPU, the cores, a VM or not, and this build.
#include <string>

namespace lpbf {

// The build's `git describe --always --dirty` at configure time ("unknown" outside a checkout).
const char* build_version();

// e.g. "AMD EPYC, 2 cores, KVM VM, Linux 6.18.44" from /proc/cpuinfo, /sys and uname.
std::string describe_machine();

// CPU time (user + system) this process has used so far, in seconds, all threads.
double process_cpu_seconds();

}  // namespace lpbf
