# Checks of an installed adjoint shared by run_install_test.cmake (the default shared
# build) and run_static_install_test.cmake: the include tree holds exactly the headers
# cmake/adjointHeaders.cmake says are installed, adjoint.hpp reaches every public one, the
# package files name no absolute path (everything is relative to the prefix or found again
# on the consumer's machine), and a consumer without GoogleTest works. Included by those
# scripts, which set ADJOINT_SOURCE_DIR, GENERATOR, CONFIG and CXX_COMPILER; it runs
# nothing by itself.

include(${ADJOINT_SOURCE_DIR}/cmake/adjointHeaders.cmake)

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: ${step} failed (${rc}):\n${out}")
  endif()
  message(STATUS "install test: ${step}: ok")
endfunction()

# include/ must hold adjoint.hpp, the public and opt-in headers, the testing headers when
# with_testing, the distributed ones when that component is installed, and nothing else; the internal headers are named in the message if they
# leak, since they are what this check is for.
function(check_installed_headers prefix with_testing)
  set(expected adjoint/adjoint.hpp)
  set(headers ${ADJOINT_PUBLIC_HEADERS} ${ADJOINT_OPT_IN_HEADERS})
  if(with_testing)
    list(APPEND headers ${ADJOINT_TESTING_HEADERS})
  endif()
  # The distributed component's headers ship with it, when MPI was found at build time.
  if(EXISTS ${prefix}/lib/cmake/adjoint/adjoint-distributed-targets.cmake)
    list(APPEND headers ${ADJOINT_DISTRIBUTED_HEADERS})
  endif()
  foreach(header IN LISTS headers)
    list(APPEND expected adjoint/${header})
  endforeach()
  file(GLOB_RECURSE found RELATIVE ${prefix}/include ${prefix}/include/*)
  list(SORT expected)
  list(SORT found)
  if(NOT found STREQUAL expected)
    set(extra ${found})
    list(REMOVE_ITEM extra ${expected})
    set(missing ${expected})
    list(REMOVE_ITEM missing ${found})
    message(FATAL_ERROR "install test: the installed include tree is wrong.\n"
      "  installed but not listed as installed: ${extra}\n  listed but not installed: ${missing}\n"
      "  (internal, must never ship: ${ADJOINT_INTERNAL_HEADERS})")
  endif()
  list(LENGTH found count)
  message(STATUS "install test: include/ holds exactly the ${count} listed headers: ok")
endfunction()

# Every public header must be reachable from <adjoint/adjoint.hpp>, and the opt-in, testing
# and distributed ones must not be (they would make every user compile xtensor or
# GoogleTest, or link MPI).
# Asks the compiler (-M, GCC and Clang) rather than reading #include lines.
function(check_umbrella_header prefix)
  set(include_dir ${prefix}/include)
  execute_process(COMMAND ${CXX_COMPILER} -std=c++17 -x c++ -M -I${include_dir}
    ${include_dir}/adjoint/adjoint.hpp RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE errors)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: listing what adjoint.hpp includes failed (${rc}):\n${errors}")
  endif()
  set(problems "")
  foreach(header IN LISTS ADJOINT_PUBLIC_HEADERS)
    string(FIND "${deps}" "${include_dir}/adjoint/${header}" at)
    if(at EQUAL -1)
      string(APPEND problems "  ${header} is public but adjoint.hpp does not include it\n")
    endif()
  endforeach()
  foreach(header IN LISTS ADJOINT_OPT_IN_HEADERS ADJOINT_TESTING_HEADERS ADJOINT_DISTRIBUTED_HEADERS)
    string(FIND "${deps}" "${include_dir}/adjoint/${header}" at)
    if(NOT at EQUAL -1)
      string(APPEND problems "  ${header} is opt-in but adjoint.hpp includes it\n")
    endif()
  endforeach()
  if(problems)
    message(FATAL_ERROR "install test: adjoint.hpp is out of step with cmake/adjointHeaders.cmake:\n${problems}")
  endif()
  message(STATUS "install test: adjoint.hpp reaches every public header and no opt-in one: ok")
endfunction()

# No package file may carry a path of the machine it was built on: a static libadjoint's
# private link dependencies (OpenBLAS) used to be written out as absolute paths.
function(check_no_absolute_paths prefix)
  file(GLOB files ${prefix}/lib/cmake/adjoint/*.cmake)
  foreach(file IN LISTS files)
    file(STRINGS ${file} lines REGEX "(^|[\";( ])/[A-Za-z]")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "^[ \t]*#")
        message(FATAL_ERROR "install test: ${file} names an absolute path:\n  ${line}")
      endif()
    endforeach()
  endforeach()
  message(STATUS "install test: package files name no absolute path: ok")
endfunction()

# Configures, builds and runs tests/install/plain_consumer against the prefix with
# GoogleTest switched off; `extra` are further -D arguments.
function(run_plain_consumer prefix work_dir)
  set(build ${work_dir}/plain-consumer-build)
  run("configure the plain consumer (no GTest)"
    ${CMAKE_COMMAND} -S ${ADJOINT_SOURCE_DIR}/tests/install/plain_consumer -B ${build}
    -G ${GENERATOR} -DCMAKE_BUILD_TYPE=${CONFIG} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON ${ARGN})
  run("build the plain consumer" ${CMAKE_COMMAND} --build ${build} --config ${CONFIG} --parallel 2)
  run("run the plain consumer"
    ${CMAKE_CTEST_COMMAND} --test-dir ${build} --build-config ${CONFIG} --output-on-failure)
endfunction()
