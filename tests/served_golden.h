#pragma once
// A golden directory as the challenger serves it, loaded once per test process (datasets are
// immutable: every test may share one).
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/challenger/served_dataset.h"
#include "tests/test_support.h"

namespace lpbf::test {

inline std::shared_ptr<const ServedDataset> served_golden(const std::string& name) {
  static std::mutex m;
  static std::map<std::string, std::shared_ptr<const ServedDataset>> loaded;
  std::lock_guard lock(m);
  auto& ds = loaded[name];
  if (!ds) ds = std::make_shared<const ServedDataset>(load_served_dataset(golden_dir() / name));
  return ds;
}

}  // namespace lpbf::test
