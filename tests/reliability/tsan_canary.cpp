// A deliberate data race inside an OpenMP parallel region, built only by the tsan preset.
// ThreadSanitizer must report it (the test reliability.tsan_canary passes only then): this
// shows that TSan is on and that Archer, which removes the false reports about libomp's own
// synchronisation, still lets a real race inside a parallel region through. Without it a
// clean run of the thread tests would prove nothing.
#include <cstdio>

int main() {
    long counter = 0;
#pragma omp parallel num_threads(2)
    for (int i = 0; i < 1000; ++i) ++counter;  // the race: no atomic, no reduction
    std::printf("%ld\n", counter);
    return 0;
}
