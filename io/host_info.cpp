#include "io/host_info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace lpbf {

const char* build_version() { return LPBF_VERSION; }

std::string describe_machine() {
  std::string model = "unknown CPU", hypervisor;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && model == "unknown CPU") model = value;
    if (key == "flags" && (" " + value + " ").find(" hypervisor ") != std::string::npos) hypervisor = "VM";
  }
  std::ifstream vendor("/sys/class/dmi/id/sys_vendor");
  std::string v;
  if (std::getline(vendor, v) && !v.empty() && !hypervisor.empty()) hypervisor = v + " " + hypervisor;
  std::string out = model + ", " + std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " cores";
  if (!hypervisor.empty()) out += ", " + hypervisor;
  utsname u{};
  if (::uname(&u) == 0) out += std::string(", ") + u.sysname + " " + u.release;
  return out;
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

}  // namespace lpbf
