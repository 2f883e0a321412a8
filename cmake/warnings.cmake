# Warnings as an INTERFACE target that every project target links.
add_library(pushback_warnings INTERFACE)
target_compile_options(pushback_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough
  # Designated initializers leave fields at their defaults on purpose.
  -Wno-missing-field-initializers)
if(PUSHBACK_WERROR)
  target_compile_options(pushback_warnings INTERFACE -Werror)
endif()
