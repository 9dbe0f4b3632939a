// nicsetup: bind NICs to vfio-pci, reserve hugepages, and tell what is missing. See `nicsetup --help`.
#include <iostream>
#include <string>
#include <vector>

#include "tools/setup/nicsetup_lib.h"

int main(int argc, char** argv) {
  return nic::setup::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
