# How this project's tests launch MPI jobs on one machine, for tests/distributed and the
# toy_segmentation --distributed test: ADJOINT_MPIEXEC_FLAGS (mpiexec's arguments before the
# program, 2 ranks) and ADJOINT_MPI_ENVIRONMENT (ctest ENVIRONMENT entries). Include it only
# where MPI was found (MPIEXEC_EXECUTABLE set by find_package(MPI)).
set(ADJOINT_MPI_RANKS 2)
set(ADJOINT_MPIEXEC_FLAGS ${MPIEXEC_NUMPROC_FLAG} ${ADJOINT_MPI_RANKS})
set(ADJOINT_MPI_ENVIRONMENT "")
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE adjoint_mpiexec_version ERROR_QUIET)
if(adjoint_mpiexec_version MATCHES "Open MPI|OpenRTE")
  # More ranks than cores is fine for tests; loopback only; root (CI containers) allowed.
  list(APPEND ADJOINT_MPIEXEC_FLAGS --oversubscribe)
  set(ADJOINT_MPI_ENVIRONMENT OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo)
endif()
list(APPEND ADJOINT_MPIEXEC_FLAGS ${MPIEXEC_PREFLAGS})
# One thread per rank: two ranks already fill the machine.
list(APPEND ADJOINT_MPI_ENVIRONMENT OPENBLAS_NUM_THREADS=1)
