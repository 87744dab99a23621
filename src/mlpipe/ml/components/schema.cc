// Built-in `schema`: infer the schema of a dataset.
#include <fmt/format.h>

#include "mlpipe/data/schema.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

namespace mlpipe::ml::components {

const char* const kSchemaYaml = R"(component: schema
description: Infer a dataset's schema (column types, nullability, ranges, categorical domains).
builtin: schema
inputs:
  data: dataset
outputs:
  schema: schema
params:
  max_domain_size: {type: int, default: 1000}
)";

void CheckSchemaParams(ParamCheck& c) { c.AtLeast("max_domain_size", 0); }

Status RunSchema(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string out, Output(inv, "schema"));
  ASSIGN_OR_RETURN(int64_t max_domain, ParamInt(inv, "max_domain_size", 1000));
  ASSIGN_OR_RETURN(data::Table table, ReadTable("data", in));
  data::SchemaOptions opt;
  opt.max_domain_size = static_cast<size_t>(max_domain);
  data::Schema schema = data::InferSchema(table, opt);
  RETURN_IF_ERROR(data::SaveSchema(schema, out));
  Log(inv) << fmt::format("schema of {} columns inferred from {} rows\n", schema.columns.size(), table.num_rows());
  return OkStatus();
}

}  // namespace mlpipe::ml::components
