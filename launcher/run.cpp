// tessera run: load a job library on every rank and call its entry point.
#include "commands.hpp"

#include <tessera/error.hpp>
#include <tessera/job.hpp>

#include <dlfcn.h>

#include <filesystem>
#include <memory>

namespace tessera::launcher {

Action add_run(CLI::App& app, const GlobalOptions& global) {
  struct Options {
    std::string library;
    std::vector<std::string> args;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "load a job (a shared library exporting tessera_job) and run it on every rank");
  cmd->add_option("job", options->library, "path to the job's shared library")->required();
  cmd->add_option("args", options->args, "arguments passed to the job");
  cmd->prefix_command();  // everything after the library belongs to the job
  return [options, &global] {
    auto fail = [](std::string message, std::string hint) { throw_error(ErrorKind::input, std::move(message), std::move(hint)); };
    std::string path = options->library;
    if (!std::filesystem::exists(path)) fail("job library " + path + " does not exist", "give the path to a .so file");
    // A bare file name would make dlopen search the library path, not the current directory.
    if (path.find('/') == std::string::npos) path = "./" + path;
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) fail("cannot load job library " + path + ": " + ::dlerror(), "build it as a shared library (MODULE)");
    auto entry = reinterpret_cast<JobEntry>(::dlsym(handle, job_entry_point));
    if (!entry) {
      fail("job library " + path + " has no entry point '" + job_entry_point + "'",
           "define extern \"C\" int tessera_job(tessera::Runtime&, int, char**) (see <tessera/job.hpp>)");
    }
    std::vector<std::string> args = options->args;
    args.insert(args.begin(), options->library);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int status = entry(*global.runtime, static_cast<int>(args.size()), argv.data());
    // The library stays loaded: values it made may still be alive in the runtime.
    return status;
  };
}

}  // namespace tessera::launcher
