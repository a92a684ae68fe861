# Runs `MPIEXEC FLAGS PROGRAM MODE` (cmake -P, from tests/distributed/CMakeLists.txt) and
# passes only if the job fails cleanly: a non-zero exit status, within MAX_SECONDS (a hang
# is the bug these tests exist for), and, when EXPECT is given, that line in its output.
cmake_minimum_required(VERSION 3.18)
string(TIMESTAMP start "%s")
execute_process(COMMAND ${MPIEXEC} ${FLAGS} ${PROGRAM} ${MODE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT ${MAX_SECONDS})
string(TIMESTAMP stop "%s")
math(EXPR seconds "${stop} - ${start}")
message(STATUS "fault ${MODE}: exit status '${rc}' after ${seconds} s; output:\n${out}")
if(rc MATCHES "timeout" OR seconds GREATER_EQUAL MAX_SECONDS)
  message(FATAL_ERROR "fault ${MODE}: the job did not stop within ${MAX_SECONDS} s (a rank hangs)")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "fault ${MODE}: the job exited with status 0; a failing rank must fail the job")
endif()
if(NOT EXPECT STREQUAL "")
  string(FIND "${out}" "${EXPECT}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "fault ${MODE}: the output lacks the line\n  ${EXPECT}")
  endif()
endif()
