# cmake -DINPUT=... -DOUTPUT=... -DNAME=... -P embed_file.cmake
# Writes a header defining `inline constexpr std::string_view NAME` with the file's bytes.
file(READ "${INPUT}" content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${content}")
file(WRITE "${OUTPUT}" "#pragma once\n#include <string_view>\ninline constexpr std::string_view ${NAME}(\"${escaped}\", sizeof(\"${escaped}\") - 1);\n")
