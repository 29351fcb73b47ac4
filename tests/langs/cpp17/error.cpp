#include <vector>
int main() { std::vector<int> v; return v.no_such_member(); }
