# Puts the OpenBLAS that was just found behind one target, adjoint::OpenBLAS, which is what
# libadjoint links. Included twice: by the build after find_package(OpenBLAS), and by the
# installed adjointConfig.cmake of a static build after find_dependency(OpenBLAS). Debian's
# OpenBLASConfig.cmake only sets OpenBLAS_LIBRARIES / OpenBLAS_INCLUDE_DIRS, absolute paths
# of the machine it runs on; linking those directly would write the build machine's path
# into a static libadjoint's exported targets. Linking a target instead exports just its
# name, and each consumer defines it here from its own OpenBLAS.
# It does not look for OpenBLAS itself (find_dependency must run in the config file, so a
# missing OpenBLAS makes find_package(adjoint) fail cleanly).
if(TARGET adjoint::OpenBLAS)
  return()
endif()
add_library(adjoint::OpenBLAS INTERFACE IMPORTED)
if(TARGET OpenBLAS::OpenBLAS)
  # OpenBLAS releases built with CMake export their own target: use it as it is.
  set_target_properties(adjoint::OpenBLAS PROPERTIES INTERFACE_LINK_LIBRARIES OpenBLAS::OpenBLAS)
else()
  set_target_properties(adjoint::OpenBLAS PROPERTIES
    INTERFACE_LINK_LIBRARIES "${OpenBLAS_LIBRARIES}"
    INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIRS}")
endif()
