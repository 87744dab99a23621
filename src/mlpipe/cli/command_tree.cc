#include "mlpipe/cli/command_tree.h"

#include <CLI/CLI.hpp>

#include "mlpipe/base/strings.h"

namespace mlpipe::cli {
namespace {

// CLI11 describes an option's type as "TYPE" followed by one ":TEXT" per
// validator: "TEXT:{dot,mermaid}" (a list of accepted values), "INT:INT in
// [1 - 4096]" (a range). Splits that into the value name, the choices and
// the other constraints.
void ParseTypeName(const std::string& type_name, std::string* value_name, std::vector<std::string>* choices,
                   std::string* constraint) {
  const size_t colon = type_name.find(':');
  *value_name = std::string(Trim(std::string_view(type_name).substr(0, colon)));
  if (colon == std::string::npos) return;
  std::string rest = type_name.substr(colon + 1);
  if (rest.size() >= 2 && rest.front() == '{' && rest.back() == '}') {
    for (const std::string& c : Split(rest.substr(1, rest.size() - 2), ',')) {
      if (!Trim(c).empty()) choices->push_back(std::string(Trim(c)));
    }
    return;
  }
  *constraint = rest;
}

OptionDoc DescribeOption(const CLI::Option& opt) {
  OptionDoc doc;
  for (const std::string& s : opt.get_snames()) doc.names.push_back("-" + s);
  for (const std::string& l : opt.get_lnames()) doc.names.push_back("--" + l);
  if (opt.get_items_expected_max() > 0) {  // a flag expects no value
    ParseTypeName(opt.get_type_name(), &doc.value_name, &doc.choices, &doc.constraint);
    if (doc.value_name.empty()) doc.value_name = "VALUE";
    doc.repeatable = opt.get_items_expected_max() > 1;
  }
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  return doc;
}

ArgumentDoc DescribeArgument(const CLI::Option& opt) {
  ArgumentDoc doc;
  doc.name = opt.get_name(/*positional=*/true);
  std::string constraint;
  ParseTypeName(opt.get_type_name(), &doc.value_name, &doc.choices, &constraint);
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  doc.repeatable = opt.get_items_expected_max() > 1;
  return doc;
}

CommandDoc Describe(const CLI::App& app, std::vector<std::string> path) {
  CommandDoc doc;
  doc.path = std::move(path);
  doc.description = app.get_description();
  doc.needs_subcommand = app.get_require_subcommand_min() > 0;
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt->get_positional() && !opt->nonpositional()) {
      doc.arguments.push_back(DescribeArgument(*opt));
    } else {
      doc.options.push_back(DescribeOption(*opt));
    }
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    if (sub->get_name().empty()) continue;  // an option group, not a command
    std::vector<std::string> sub_path = doc.path;
    sub_path.push_back(sub->get_name());
    doc.subcommands.push_back(Describe(*sub, std::move(sub_path)));
  }
  return doc;
}

}  // namespace

std::string CommandDoc::Name() const { return Join(path, " "); }

std::string CommandDoc::PageName() const { return Join(path, "-"); }

bool CompletesAsFile(const std::string& value_name) { return value_name == "TEXT" || value_name == "VALUE"; }

CommandDoc DescribeCommands(const CLI::App& app, const std::string& program) {
  return Describe(app, {program});
}

}  // namespace mlpipe::cli
