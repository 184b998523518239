// The oracle's view of lib/io/csv (tests/oracle/csv_oracle.py): parses the
// files a pattern matches in blocks, then writes every value as JSON (for
// comparison with pandas.read_csv) and the table again with write_csv.
//
//   csv_dump PATTERN OUT.json OUT.csv [--blocksize N] [--parse-dates a,b] [--usecols a,b]
//
// JSON: {"names": [...], "types": [...], "columns": [[...], ...]}; a null is
// null, a float64 NaN "NaN" and ±inf "inf"/"-inf", a timestamp its ns.
// An InputError goes to stderr with exit status 1.
#include "io/csv/csv_reader.hpp"

#include <tessera/error.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t comma; (comma = list.find(',', from)) != std::string::npos; from = comma + 1) {
    out.push_back(list.substr(from, comma - from));
  }
  out.push_back(list.substr(from));
  return out;
}

void put_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out.append(escaped);
    } else {
      out.push_back(c);  // UTF-8 passes through
    }
  }
  out.push_back('"');
}

void put_value(std::string& out, const tessera::Column& c, std::int64_t r) {
  if (!c.is_valid(r)) {
    out.append("null");
    return;
  }
  const auto k = static_cast<std::size_t>(r);
  char buffer[32];
  switch (c.type()) {
    case tessera::ColumnType::int64:
    case tessera::ColumnType::timestamp: {
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, c.int64s()[k]);
      out.append(buffer, end);
      break;
    }
    case tessera::ColumnType::float64: {
      const double v = c.float64s()[k];
      if (std::isnan(v)) out.append("\"NaN\"");
      else if (std::isinf(v)) out.append(v > 0 ? "\"inf\"" : "\"-inf\"");
      else out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, v).ptr);
      break;
    }
    case tessera::ColumnType::bool_: out.append(c.bools()[k] ? "true" : "false"); break;
    default: put_json_string(out, c.string(r));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: csv_dump PATTERN OUT.json OUT.csv [--blocksize N] [--parse-dates a,b] [--usecols a,b]\n";
    return 2;
  }
  tessera::dataframe::CsvOptions options;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--blocksize") options.blocksize = std::stoll(value);
    else if (flag == "--parse-dates") options.parse_dates = split(value);
    else if (flag == "--usecols") options.usecols = split(value);
  }
  try {
    namespace csv = tessera::csv;
    const std::vector<std::string> paths = csv::expand_glob(argv[1]);
    const csv::Schema schema = csv::infer_schema(paths.front(), options);
    std::vector<tessera::Table> parts;
    for (const csv::Block& b : csv::plan_blocks(paths, options)) parts.push_back(csv::read_block(b, schema, options));
    const tessera::Table table = tessera::Table::concat(parts);

    std::string json = "{\"names\": [";
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      if (c > 0) json.append(", ");
      put_json_string(json, table.names()[c]);
    }
    json.append("], \"types\": [");
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      if (c > 0) json.append(", ");
      put_json_string(json, tessera::type_name(table.column(c).type()));
    }
    json.append("], \"columns\": [");
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      json.append(c > 0 ? ", [" : "[");
      for (std::int64_t r = 0; r < table.num_rows(); ++r) {
        if (r > 0) json.append(", ");
        put_value(json, table.column(c), r);
      }
      json.append("]");
    }
    json.append("]}\n");
    std::ofstream(argv[2], std::ios::binary) << json;
    std::ofstream out(argv[3], std::ios::binary);
    csv::write_csv(table, out, true);
  } catch (const tessera::InputError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
