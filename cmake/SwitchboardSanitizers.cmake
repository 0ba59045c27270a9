# SWITCHBOARD_SANITIZE=address (ASan+UBSan) or thread (TSan); set by the asan/tsan presets.
set(SWITCHBOARD_SANITIZE "" CACHE STRING "Sanitizer build: '', 'address' or 'thread'")

# The asan/tsan presets build as CMAKE_BUILD_TYPE=Sanitize. -O1 -g1 compiles in half the time
# of RelWithDebInfo's -O2 -g (compiling is most of the CI budget), still gives reports with
# file:line, and leaves NDEBUG undefined so that assertions run too.
set(CMAKE_CXX_FLAGS_SANITIZE "-O1 -g1" CACHE STRING "C++ flags for the Sanitize build type")

if(SWITCHBOARD_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(SWITCHBOARD_SANITIZE STREQUAL "thread")
  # GCC 12 warns that TSan does not model atomic_thread_fence, which Asio uses; the fences
  # only order memory further, so the warning must not fail our -Werror build.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-error=tsan)
  add_link_options(-fsanitize=thread)
elseif(NOT SWITCHBOARD_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SWITCHBOARD_SANITIZE must be '', 'address' or 'thread'")
endif()
