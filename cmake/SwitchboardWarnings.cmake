# switchboard_warnings(target): strict warnings, as errors, on our own targets only
# (third-party headers are included as SYSTEM so their warnings never fail our build).
option(SWITCHBOARD_WERROR "Treat warnings as errors on Switchboard targets" ON)

function(switchboard_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
    -Wimplicit-fallthrough)
  if(SWITCHBOARD_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
