# switchboard_warnings(target): strict warnings, as errors, on our own targets only
# (third-party headers are included as SYSTEM so their warnings never fail our build).
option(SWITCHBOARD_WERROR "Treat warnings as errors on Switchboard targets" ON)

function(switchboard_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++ for `"x" + std::to_string(n)` (GCC bug
  # 105329, fixed in 13); the warning is about the library's own memcpy, never our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(SWITCHBOARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
