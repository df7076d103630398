#include "verdict/model/pickle_reader.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace verdict::model {
namespace {

using Kind = PickleValue::Kind;

// Opcodes that build objects by calling or importing; never accepted, named in the error.
const char* refused_opcode_name(unsigned char op) {
  switch (op) {
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x81: return "NEWOBJ";
    case 0x92: return "NEWOBJ_EX";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 'S': return "STRING";
    case 'V': return "UNICODE";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

std::string hex_byte(unsigned char c) {
  static const char* kHex = "0123456789abcdef";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 15];
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
    else return false;
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string_view pickle_kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kBigInt: return "big int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kDict: return "dict";
    case Kind::kObject: return "object";
  }
  return "?";
}

Result<PickleValue*> PickleHooks::find_global(PickleReader& r, const std::string& module,
                                              const std::string& name) {
  return r.error("refers to global '" + module + "." + name +
                 "', which is not allowed (Verdict never imports or runs code from a pickle)");
}

Result<PickleValue*> PickleHooks::reduce(PickleReader& r, PickleValue* callable, PickleValue*) {
  return r.error("REDUCE on " + std::string(pickle_kind_name(callable->kind)) + " is not allowed");
}

Result<PickleValue*> PickleHooks::build(PickleReader& r, PickleValue* obj, PickleValue*) {
  return r.error("BUILD on " + std::string(pickle_kind_name(obj->kind)) + " is not allowed");
}

Result<PickleValue*> PickleHooks::persistent_load(PickleReader& r, PickleValue*) {
  return r.error("persistent ids are not allowed");
}

PickleValue* PickleReader::make(Kind kind) {
  arena_.push_back(std::make_unique<PickleValue>());
  arena_.back()->kind = kind;
  return arena_.back().get();
}

PickleValue* PickleReader::make_object(int tag, std::string name, int64_t handle) {
  PickleValue* v = make(Kind::kObject);
  v->tag = tag;
  v->s = std::move(name);
  v->i = handle;
  return v;
}

Error PickleReader::error(const std::string& what) const {
  return make_error(ErrorCode::kCorruptModel, source_ + ": pickle " + what);
}

Result<PickleValue*> PickleReader::load(std::string_view bytes, size_t* consumed) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t pos = 0;
  size_t op_pos = 0;
  std::vector<PickleValue*> stack;
  std::vector<size_t> marks;
  std::unordered_map<uint64_t, PickleValue*> memo;

  auto fail = [&](const std::string& what) {
    return error(what + " (opcode at byte " + std::to_string(op_pos) + ")");
  };
  auto need = [&](size_t k) { return n - pos >= k; };
  auto read_le = [&](size_t k) {
    uint64_t v = 0;
    for (size_t i = 0; i < k; ++i) v |= static_cast<uint64_t>(p[pos + i]) << (8 * i);
    pos += k;
    return v;
  };
  // A text argument up to '\n' (protocol 0 opcodes).
  auto read_line = [&](std::string_view* line) {
    const void* nl = std::memchr(p + pos, '\n', n - pos);
    if (!nl) return false;
    const size_t end = static_cast<const unsigned char*>(nl) - p;
    *line = std::string_view(reinterpret_cast<const char*>(p + pos), end - pos);
    pos = end + 1;
    return true;
  };
  auto parse_int = [](std::string_view s, int64_t* v) {
    if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && ptr == s.data() + s.size() && !s.empty();
  };
  auto push = [&](PickleValue* v) { stack.push_back(v); };
  auto pop = [&](PickleValue** v) {
    if (stack.size() <= (marks.empty() ? 0 : marks.back())) return false;
    *v = stack.back();
    stack.pop_back();
    return true;
  };
  // Pops everything above the last MARK (and the mark).
  auto pop_mark = [&](std::vector<PickleValue*>* items) {
    if (marks.empty()) return false;
    const size_t m = marks.back();
    marks.pop_back();
    items->assign(stack.begin() + static_cast<std::ptrdiff_t>(m), stack.end());
    stack.resize(m);
    return true;
  };
  auto make_string = [&](Kind kind, size_t len, PickleValue** out) -> Status {
    if (!need(len)) return fail("string of " + std::to_string(len) + " bytes runs past the end of the data");
    PickleValue* v = make(kind);
    v->s.assign(reinterpret_cast<const char*>(p + pos), len);
    pos += len;
    if (kind == Kind::kString && !valid_utf8(v->s)) return fail("string is not valid UTF-8");
    *out = v;
    return {};
  };
  auto make_int = [&](int64_t value) {
    PickleValue* v = make(Kind::kInt);
    v->i = value;
    return v;
  };
  auto memo_get = [&](uint64_t idx) -> Result<PickleValue*> {
    auto it = memo.find(idx);
    if (it == memo.end()) return fail("memo reference " + std::to_string(idx) + " to a missing entry");
    return it->second;
  };
  auto memo_put = [&](uint64_t idx) -> Status {
    if (stack.empty()) return fail("memo store with an empty stack");
    memo[idx] = stack.back();
    return {};
  };
  auto truncated = [&](const char* what) { return fail(std::string(what) + " is truncated"); };

  while (true) {
    if (pos >= n) return error("ends without STOP (data truncated at byte " + std::to_string(n) + ")");
    op_pos = pos;
    const unsigned char op = p[pos++];
    PickleValue* v = nullptr;
    switch (op) {
      case 0x80:  // PROTO
        if (!need(1)) return truncated("PROTO");
        if (p[pos] > 5) return fail("protocol " + std::to_string(p[pos]) + " is not supported (0-5)");
        ++pos;
        break;
      case 0x95:  // FRAME: a length hint only
        if (!need(8)) return truncated("FRAME");
        pos += 8;
        break;
      case '.': {  // STOP
        PickleValue* result = nullptr;
        if (!marks.empty()) return fail("STOP inside an open MARK");
        if (!pop(&result)) return fail("STOP with an empty stack");
        if (consumed) *consumed = pos;
        return result;
      }
      case '(':
        if (marks.size() >= kMaxMarkDepth) {
          return fail("nests deeper than " + std::to_string(kMaxMarkDepth) + " MARKs");
        }
        marks.push_back(stack.size());
        break;
      case '0':
        if (!pop(&v)) return fail("POP with an empty stack");
        break;
      case '1': {
        std::vector<PickleValue*> items;
        if (!pop_mark(&items)) return fail("POP_MARK without MARK");
        break;
      }
      case '2':
        if (stack.empty() || stack.size() <= (marks.empty() ? 0 : marks.back())) {
          return fail("DUP with an empty stack");
        }
        push(stack.back());
        break;
      case 'N': push(make(Kind::kNone)); break;
      case 0x88:
      case 0x89:
        v = make(Kind::kBool);
        v->i = op == 0x88;
        push(v);
        break;
      case 'K':
        if (!need(1)) return truncated("BININT1");
        push(make_int(static_cast<int64_t>(read_le(1))));
        break;
      case 'M':
        if (!need(2)) return truncated("BININT2");
        push(make_int(static_cast<int64_t>(read_le(2))));
        break;
      case 'J':
        if (!need(4)) return truncated("BININT");
        push(make_int(static_cast<int32_t>(static_cast<uint32_t>(read_le(4)))));
        break;
      case 0x8a:    // LONG1
      case 0x8b: {  // LONG4
        const size_t lk = op == 0x8a ? 1 : 4;
        if (!need(lk)) return truncated(op == 0x8a ? "LONG1" : "LONG4");
        const int64_t len = op == 0x8a ? static_cast<int64_t>(read_le(1))
                                       : static_cast<int32_t>(static_cast<uint32_t>(read_le(4)));
        if (len < 0) return fail("LONG4 has a negative length");
        if (static_cast<size_t>(len) > kMaxBigIntBytes) {
          return fail("integer of " + std::to_string(len) + " bytes is larger than allowed (" +
                      std::to_string(kMaxBigIntBytes) + ")");
        }
        if (!need(static_cast<size_t>(len))) return truncated("LONG1/LONG4");
        if (len <= 8) {
          uint64_t u = read_le(static_cast<size_t>(len));
          if (len > 0 && len < 8 && (u >> (8 * len - 1)) & 1) u |= ~uint64_t{0} << (8 * len);
          push(make_int(static_cast<int64_t>(u)));
        } else {
          v = make(Kind::kBigInt);
          v->s.assign(reinterpret_cast<const char*>(p + pos), static_cast<size_t>(len));
          pos += static_cast<size_t>(len);
          push(v);
        }
        break;
      }
      case 'I':
      case 'L': {
        std::string_view line;
        if (!read_line(&line)) return truncated(op == 'I' ? "INT" : "LONG");
        int64_t value = 0;
        if (op == 'I' && (line == "00" || line == "01")) {
          v = make(Kind::kBool);
          v->i = line == "01";
          push(v);
        } else if (parse_int(line, &value)) {
          push(make_int(value));
        } else {
          return fail("integer '" + std::string(line.substr(0, 32)) + "' is not a 64-bit integer");
        }
        break;
      }
      case 'F': {
        std::string_view line;
        if (!read_line(&line) || line.size() > 64) return fail("FLOAT is truncated or too long");
        const std::string text(line);
        char* end = nullptr;
        v = make(Kind::kFloat);
        v->f = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return fail("FLOAT '" + text + "' is not a number");
        push(v);
        break;
      }
      case 'G': {
        if (!need(8)) return truncated("BINFLOAT");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[pos + i];  // big-endian
        pos += 8;
        v = make(Kind::kFloat);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        break;
      }
      case 'X':     // BINUNICODE
      case 0x8c:    // SHORT_BINUNICODE
      case 0x8d:    // BINUNICODE8
      case 'T':     // BINSTRING (Python 2 str)
      case 'U':     // SHORT_BINSTRING
      case 'B':     // BINBYTES
      case 'C':     // SHORT_BINBYTES
      case 0x8e: {  // BINBYTES8
        const size_t lk = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
        if (!need(lk)) return truncated("string length");
        const uint64_t len = read_le(lk);
        if (op == 'T' && len > 0x7fffffffu) return fail("BINSTRING has a negative length");
        const Kind kind = (op == 'B' || op == 'C' || op == 0x8e) ? Kind::kBytes : Kind::kString;
        if (len > n - pos) {
          return fail("string of " + std::to_string(len) + " bytes runs past the end of the data");
        }
        if (auto st = make_string(kind, static_cast<size_t>(len), &v); !st.ok()) return st.error();
        push(v);
        break;
      }
      case ')': push(make(Kind::kTuple)); break;
      case ']': push(make(Kind::kList)); break;
      case '}': push(make(Kind::kDict)); break;
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t k = op - 0x84;
        const size_t floor = marks.empty() ? 0 : marks.back();
        if (stack.size() < floor + k) return fail("TUPLE" + std::to_string(k) + " with too few items on the stack");
        v = make(Kind::kTuple);
        v->items.assign(stack.end() - static_cast<std::ptrdiff_t>(k), stack.end());
        stack.resize(stack.size() - k);
        push(v);
        break;
      }
      case 't':
      case 'l':
      case 'd': {  // TUPLE, LIST, DICT from the items above MARK
        v = make(op == 't' ? Kind::kTuple : op == 'l' ? Kind::kList : Kind::kDict);
        if (!pop_mark(&v->items)) return fail(std::string(1, static_cast<char>(op)) + " without MARK");
        if (op == 'd' && v->items.size() % 2) return fail("DICT with an odd number of items");
        push(v);
        break;
      }
      case 'a': {  // APPEND
        PickleValue* item = nullptr;
        if (!pop(&item) || stack.size() <= (marks.empty() ? 0 : marks.back())) {
          return fail("APPEND with too few items on the stack");
        }
        if (stack.back()->kind != Kind::kList) {
          return fail("APPEND to a " + std::string(pickle_kind_name(stack.back()->kind)) + ", not a list");
        }
        stack.back()->items.push_back(item);
        break;
      }
      case 'e':     // APPENDS
      case 'u': {   // SETITEMS
        std::vector<PickleValue*> items;
        if (!pop_mark(&items)) return fail(op == 'e' ? "APPENDS without MARK" : "SETITEMS without MARK");
        if (stack.size() <= (marks.empty() ? 0 : marks.back())) {
          return fail(op == 'e' ? "APPENDS without a list" : "SETITEMS without a dict");
        }
        PickleValue* target = stack.back();
        if (target->kind != (op == 'e' ? Kind::kList : Kind::kDict)) {
          return fail(std::string(op == 'e' ? "APPENDS to a " : "SETITEMS on a ") +
                      std::string(pickle_kind_name(target->kind)));
        }
        if (op == 'u' && items.size() % 2) return fail("SETITEMS with an odd number of items");
        target->items.insert(target->items.end(), items.begin(), items.end());
        break;
      }
      case 's': {  // SETITEM
        PickleValue *key = nullptr, *value = nullptr;
        if (!pop(&value) || !pop(&key) || stack.size() <= (marks.empty() ? 0 : marks.back())) {
          return fail("SETITEM with too few items on the stack");
        }
        if (stack.back()->kind != Kind::kDict) {
          return fail("SETITEM on a " + std::string(pickle_kind_name(stack.back()->kind)) + ", not a dict");
        }
        stack.back()->items.push_back(key);
        stack.back()->items.push_back(value);
        break;
      }
      case 'g':
      case 'p': {  // GET, PUT (text index)
        std::string_view line;
        int64_t idx = 0;
        if (!read_line(&line) || !parse_int(line, &idx) || idx < 0) return fail("GET/PUT index is not a number");
        if (op == 'g') {
          auto got = memo_get(static_cast<uint64_t>(idx));
          if (!got.ok()) return got.error();
          push(*got);
        } else if (auto st = memo_put(static_cast<uint64_t>(idx)); !st.ok()) {
          return st.error();
        }
        break;
      }
      case 'h':
      case 'j': {  // BINGET, LONG_BINGET
        const size_t k = op == 'h' ? 1 : 4;
        if (!need(k)) return truncated("BINGET");
        auto got = memo_get(read_le(k));
        if (!got.ok()) return got.error();
        push(*got);
        break;
      }
      case 'q':
      case 'r': {  // BINPUT, LONG_BINPUT
        const size_t k = op == 'q' ? 1 : 4;
        if (!need(k)) return truncated("BINPUT");
        if (auto st = memo_put(read_le(k)); !st.ok()) return st.error();
        break;
      }
      case 0x94:  // MEMOIZE
        if (auto st = memo_put(memo.size()); !st.ok()) return st.error();
        break;
      case 'c': {  // GLOBAL
        std::string_view module, name;
        if (!read_line(&module) || !read_line(&name)) return truncated("GLOBAL");
        auto g = hooks_.find_global(*this, std::string(module), std::string(name));
        if (!g.ok()) return g.error();
        push(*g);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue *module = nullptr, *name = nullptr;
        if (!pop(&name) || !pop(&module)) return fail("STACK_GLOBAL with too few items on the stack");
        if (module->kind != Kind::kString || name->kind != Kind::kString) {
          return fail("STACK_GLOBAL needs two strings");
        }
        auto g = hooks_.find_global(*this, module->s, name->s);
        if (!g.ok()) return g.error();
        push(*g);
        break;
      }
      case 'R': {  // REDUCE
        PickleValue *callable = nullptr, *args = nullptr;
        if (!pop(&args) || !pop(&callable)) return fail("REDUCE with too few items on the stack");
        if (args->kind != Kind::kTuple) return fail("REDUCE arguments are not a tuple");
        auto r = hooks_.reduce(*this, callable, args);
        if (!r.ok()) return r.error();
        push(*r);
        break;
      }
      case 'b': {  // BUILD
        PickleValue *obj = nullptr, *state = nullptr;
        if (!pop(&state) || !pop(&obj)) return fail("BUILD with too few items on the stack");
        auto r = hooks_.build(*this, obj, state);
        if (!r.ok()) return r.error();
        push(*r);
        break;
      }
      case 'Q': {  // BINPERSID
        PickleValue* pid = nullptr;
        if (!pop(&pid)) return fail("BINPERSID with an empty stack");
        auto r = hooks_.persistent_load(*this, pid);
        if (!r.ok()) return r.error();
        push(*r);
        break;
      }
      case 'P': {  // PERSID: a text id
        std::string_view line;
        if (!read_line(&line)) return truncated("PERSID");
        PickleValue* pid = nullptr;
        if (!valid_utf8(line)) return fail("PERSID is not valid UTF-8");
        pid = make(Kind::kString);
        pid->s = std::string(line);
        auto r = hooks_.persistent_load(*this, pid);
        if (!r.ok()) return r.error();
        push(*r);
        break;
      }
      default:
        if (const char* name = refused_opcode_name(op)) {
          return fail("opcode " + std::string(name) + " (" + hex_byte(op) + ") is not supported");
        }
        return fail("unknown opcode " + hex_byte(op));
    }
  }
}

}  // namespace verdict::model
