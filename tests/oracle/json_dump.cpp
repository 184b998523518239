// The oracle's view of tessera::Json (tests/oracle/json_oracle.py): parses
// each line of a JSON lines file with Json::parse and plucks some keys with
// pluck_field, and writes one JSON line per input line:
//
//   json_dump IN.jsonl KEY[,KEY...]
//   {"dump": "<dump()>", "pluck": {"KEY": value, ...}, "text": {"KEY": "<to_text()>", ...}}
//   {"error": "<message>", "pluck_error": "<message or empty>"}      when the line is invalid
//
// An absent key is absent from "pluck" and "text".
#include <tessera/error.hpp>
#include <tessera/json.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: json_dump IN.jsonl KEY[,KEY...]\n";
    return 2;
  }
  std::vector<std::string> keys;
  for (std::string list = argv[2]; !list.empty();) {
    const auto comma = list.find(',');
    keys.push_back(list.substr(0, comma));
    list = comma == std::string::npos ? "" : list.substr(comma + 1);
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    try {
      const tessera::Json value = tessera::Json::parse(line);
      std::vector<tessera::Json::Member> plucked, texts;
      for (const auto& key : keys) {
        if (auto v = tessera::pluck_field(line, key)) {
          plucked.emplace_back(key, *v);
          texts.emplace_back(key, v->to_text());
        }
      }
      std::cout << tessera::Json::object({{"dump", value.dump()},
                                          {"pluck", tessera::Json::object(std::move(plucked))},
                                          {"text", tessera::Json::object(std::move(texts))}})
                << "\n";
    } catch (const tessera::Error& e) {
      std::string pluck_error;
      try {
        (void)tessera::pluck_field(line, keys.front());
      } catch (const tessera::Error& p) {
        pluck_error = p.what();
      }
      std::cout << tessera::Json::object({{"error", e.what()}, {"pluck_error", pluck_error}}) << "\n";
    }
  }
}
