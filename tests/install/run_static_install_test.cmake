# The static-library variant of the install test, run by ctest as `cmake -P` (label
# `static`): configures and builds libadjoint alone with BUILD_SHARED_LIBS=OFF in a scratch
# folder (tests, examples and benchmarks off, so no adjoint::testing), installs it, checks
# the package (package_checks.cmake; above all, no path of this machine in the exported
# targets, where a static library's private OpenBLAS used to land), and builds and runs
# tests/install/plain_consumer against it, whose link must find OpenBLAS through the
# package. It rebuilds the library from the sources, so it is the slowest test.
#
# Inputs (-D): ADJOINT_SOURCE_DIR, WORK_DIR, CONFIG, GENERATOR, CXX_COMPILER.
cmake_minimum_required(VERSION 3.18)

foreach(var ADJOINT_SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_static_install_test: -D${var}=... is required")
  endif()
endforeach()
if("${CONFIG}" STREQUAL "")
  set(CONFIG Release)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/package_checks.cmake)  # run(), check_*()

set(build ${WORK_DIR}/build)
set(prefix ${WORK_DIR}/prefix)
# The build folder is kept between runs (only the prefix and consumer are redone), so a
# second run recompiles only what changed.
file(REMOVE_RECURSE ${prefix} ${WORK_DIR}/plain-consumer-build)

run("configure a static adjoint"
  ${CMAKE_COMMAND} -S ${ADJOINT_SOURCE_DIR} -B ${build} -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=${CONFIG} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DBUILD_SHARED_LIBS=OFF
  -DADJOINT_BUILD_TESTS=OFF -DADJOINT_BUILD_EXAMPLES=OFF -DADJOINT_BUILD_BENCH=OFF)
run("build the static adjoint" ${CMAKE_COMMAND} --build ${build} --config ${CONFIG} --parallel 2)
run("cmake --install into ${prefix}"
  ${CMAKE_COMMAND} --install ${build} --prefix ${prefix} --config ${CONFIG})

check_installed_headers(${prefix} FALSE)
check_no_absolute_paths(${prefix})
# The link line must name OpenBLAS by target, for adjointConfig.cmake to define.
file(READ ${prefix}/lib/cmake/adjoint/adjointTargets.cmake targets)
if(NOT targets MATCHES "\\$<LINK_ONLY:adjoint::OpenBLAS>")
  message(FATAL_ERROR "install test: the static adjoint::adjoint does not link adjoint::OpenBLAS:\n${targets}")
endif()

run_plain_consumer(${prefix} ${WORK_DIR} -DADJOINT_EXPECT_STATIC=ON)
