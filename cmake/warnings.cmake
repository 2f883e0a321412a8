# Warnings as an INTERFACE target that every project target links.
add_library(pushback_warnings INTERFACE)
target_compile_options(pushback_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough
  # Designated initializers leave fields at their defaults on purpose.
  -Wno-missing-field-initializers
  # GCC 12 reports impossible overlaps in std::string's operator+ at -O2 (GCC bug 105329).
  -Wno-restrict)
if(PUSHBACK_WERROR)
  target_compile_options(pushback_warnings INTERFACE -Werror)
endif()
