# The install test, run by ctest as `cmake -P`: installs the current build into a scratch
# prefix, checks the installed headers and package files (package_checks.cmake), then
# configures, builds and runs tests/install/consumer (with the testing component) and
# tests/install/plain_consumer (without GoogleTest) against that prefix only.
# The consumer also compiles the C++ samples of README.md and docs/*.md, so they cannot rot.
# It does not build adjoint itself: the build tree must be up to date.
#
# Inputs (-D): ADJOINT_SOURCE_DIR, ADJOINT_BUILD_DIR, WORK_DIR, CONFIG, GENERATOR, CXX_COMPILER,
# and SANITIZE_FLAGS (a ;-list, empty unless the library was built with sanitizers).
cmake_minimum_required(VERSION 3.18)

foreach(var ADJOINT_SOURCE_DIR ADJOINT_BUILD_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test: -D${var}=... is required")
  endif()
endforeach()
if("${CONFIG}" STREQUAL "")
  set(CONFIG Release)
endif()

# A sanitized libadjoint needs its consumers compiled and linked with the same flags, or the
# sanitizer runtime does not come first in the executable. CXXFLAGS / LDFLAGS seed the
# flags of every consumer this script configures (both consumers start from scratch).
if(NOT "${SANITIZE_FLAGS}" STREQUAL "")
  string(REPLACE ";" " " sanitize_flags "${SANITIZE_FLAGS}")
  set(ENV{CXXFLAGS} "$ENV{CXXFLAGS} ${sanitize_flags}")
  set(ENV{LDFLAGS} "$ENV{LDFLAGS} ${sanitize_flags}")
endif()

set(prefix ${WORK_DIR}/prefix)
set(samples ${WORK_DIR}/samples)
set(consumer_build ${WORK_DIR}/consumer-build)

include(${CMAKE_CURRENT_LIST_DIR}/package_checks.cmake)  # run(), check_*()

# Splits a text file into a list of lines in `out`. CMake lists split on ';' (except
# inside [...] and after a backslash), and C++ is full of all three, so they are swapped
# for placeholders that `unescape` puts back.
function(read_lines path out)
  file(READ ${path} text)
  string(REPLACE "\\" "@BACKSLASH@" text "${text}")
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  string(REPLACE "[" "@LBRACKET@" text "${text}")
  string(REPLACE "]" "@RBRACKET@" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
function(unescape var)
  set(text "${${var}}")
  string(REPLACE "@RBRACKET@" "]" text "${text}")
  string(REPLACE "@LBRACKET@" "[" text "${text}")
  string(REPLACE "@SEMICOLON@" ";" text "${text}")
  string(REPLACE "@BACKSLASH@" "\\" text "${text}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

# Writes every fenced block opened with "```cpp file=<name>" in `markdown` to
# ${samples}/<name>; blocks naming the same file are joined in order, so a document can
# explain a program piece by piece. A "```text output=<name>" block is the output the
# document claims <name> prints; it is saved as <name>.expected and checked below.
function(extract_samples markdown)
  read_lines(${markdown} lines)
  set(target "")
  foreach(line IN LISTS lines)
    unescape(line)
    if(target STREQUAL "")
      if(line MATCHES "^```cpp file=([A-Za-z0-9_.]+)$")
        set(target ${samples}/${CMAKE_MATCH_1})
      elseif(line MATCHES "^```text output=([A-Za-z0-9_.]+)$")
        set(target ${samples}/${CMAKE_MATCH_1}.expected)
      endif()
      if(NOT target STREQUAL "" AND NOT EXISTS ${target})
        get_filename_component(doc ${markdown} NAME)
        file(WRITE ${target} "")
        if(target MATCHES "\\.cpp$")
          file(APPEND ${target} "// Extracted from ${doc} by tests/install/run_install_test.cmake.\n")
        endif()
      endif()
    elseif(line STREQUAL "```")
      set(target "")
    else()
      file(APPEND ${target} "${line}\n")
    endif()
  endforeach()
  if(NOT target STREQUAL "")
    message(FATAL_ERROR "install test: unterminated code block in ${markdown}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${samples})

run("cmake --install into ${prefix}"
  ${CMAKE_COMMAND} --install ${ADJOINT_BUILD_DIR} --prefix ${prefix} --config ${CONFIG})
check_installed_headers(${prefix} TRUE)
check_umbrella_header(${prefix})
check_no_absolute_paths(${prefix})

file(GLOB docs ${ADJOINT_SOURCE_DIR}/README.md ${ADJOINT_SOURCE_DIR}/docs/*.md)
foreach(doc IN LISTS docs)
  extract_samples(${doc})
endforeach()

# Only the prefix is visible: no package registries, no CMAKE_PREFIX_PATH from the caller,
# and the consumer itself checks where adjoint was found (ADJOINT_EXPECTED_PREFIX).
run("configure the consumer"
  ${CMAKE_COMMAND} -S ${ADJOINT_SOURCE_DIR}/tests/install/consumer -B ${consumer_build}
  -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${CONFIG}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
  -DADJOINT_EXPECTED_PREFIX=${prefix}
  -DADJOINT_DOC_SAMPLES=${samples})
run("build the consumer" ${CMAKE_COMMAND} --build ${consumer_build} --config ${CONFIG} --parallel 2)
run("run the consumer's tests"
  ${CMAKE_CTEST_COMMAND} --test-dir ${consumer_build} --build-config ${CONFIG} --output-on-failure)

# The same package without GoogleTest: plain find_package(adjoint) must not need it.
run_plain_consumer(${prefix} ${WORK_DIR})

# A program sample (neither test_ nor fail_) with a documented output must print exactly
# that, run in a scratch folder so files it writes stay out of the way.
file(GLOB documented ${samples}/*.cpp.expected)
foreach(expected_file IN LISTS documented)
  get_filename_component(name ${expected_file} NAME)
  string(REGEX REPLACE "\\.cpp\\.expected$" "" name "${name}")
  if(name MATCHES "^(test|fail)_")
    continue()
  endif()
  set(run_dir ${WORK_DIR}/run-${name})
  file(MAKE_DIRECTORY ${run_dir})
  execute_process(COMMAND ${consumer_build}/${name} WORKING_DIRECTORY ${run_dir}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  file(READ ${expected_file} want)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: documented sample ${name} exited with ${rc}:\n${out}${err}")
  endif()
  if(NOT out STREQUAL want)
    message(FATAL_ERROR "install test: the documented output of ${name} is stale; it prints\n${out}\n"
                        "but the document says\n${want}")
  endif()
  message(STATUS "install test: ${name} prints what its document says: ok")
endforeach()

# Samples named fail_*.cpp demonstrate failure reports: they must fail, and every line the
# document shows for them must appear in what they print (gtest's file:line and timing
# lines vary, so those are not compared).
file(GLOB failing ${samples}/fail_*.cpp)
foreach(src IN LISTS failing)
  get_filename_component(name ${src} NAME_WE)
  execute_process(COMMAND ${consumer_build}/${name} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "install test: ${name} should fail but passed:\n${out}")
  endif()
  if(EXISTS ${src}.expected)
    read_lines(${src}.expected expected)
    foreach(line IN LISTS expected)
      unescape(line)
      if(line MATCHES ": Failure$" OR line MATCHES " ms( total)?\\)$" OR line STREQUAL "")
        continue()
      endif()
      string(FIND "${out}" "${line}" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "install test: the documented output of ${name} is stale; the line\n  ${line}\n"
                            "does not appear in what it prints now:\n${out}")
      endif()
    endforeach()
  endif()
  message(STATUS "install test: ${name} fails as documented: ok")
endforeach()
