// The reduction that decides which unsafe disjuncts a batch's bounds refute: a disjunct is
// refuted when any of its rows has a positive lower bound (non-negative for a strict
// constraint). One work item per row; rows of the same disjunct write the same 1, so the
// OR needs no atomics (the host zeroes `refuted` first). Lower bounds come rounded down to
// the device type, so a refutation here is one in exact arithmetic too.
__kernel void refuted_disjuncts(const int rows, __global const REAL *lower, __global const int *disjunctOfRow,
                                __global const int *isStrict, __global int *refuted)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const REAL bound = lower[r];
    if (isStrict[r] ? bound >= 0 : bound > 0) refuted[disjunctOfRow[r]] = 1;
}

// Whether every disjunct of each subproblem is refuted (the subproblem is proved): one work
// item per subproblem over its disjuncts `firstDisjunct[s] ..< firstDisjunct[s + 1]`.
__kernel void proved_subproblems(const int subproblems, __global const int *firstDisjunct, __global const int *refuted,
                                 __global int *proved)
{
    const int s = get_global_id(0);
    if (s >= subproblems) return;
    int all = 1;
    for (int d = firstDisjunct[s]; d < firstDisjunct[s + 1]; d++) all = all && refuted[d];
    proved[s] = all;
}
