# gauss.awk: solves A x = b by Gaussian elimination with partial pivoting (Demo Solver 2.1.0).
# Input: one equation a line, "a1 a2 ... an b"; blank lines and lines starting with # are skipped.
# Exit status: 0 solved, 2 bad input, 3 singular system.
function abs(v) { return v < 0 ? -v : v }

BEGIN { tol += 0 }

/^[ \t]*(#|$)/ { next }

{
	n++
	if (cols == 0) cols = NF
	if (NF != cols) {
		printf "solver: line %d has %d numbers, the first equation has %d\n", FNR, NF, cols > "/dev/stderr"
		bad = 1
		exit 2
	}
	for (j = 1; j <= NF; j++) {
		if ($j !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) {
			printf "solver: line %d: \"%s\" is not a number\n", FNR, $j > "/dev/stderr"
			bad = 1
			exit 2
		}
		a[n, j] = $j + 0
	}
}

END {
	if (bad) exit 2
	if (n == 0) { print "solver: the input holds no equations" > "/dev/stderr"; exit 2 }
	if (cols != n + 1) {
		printf "solver: %d equations need %d numbers a line (%d coefficients, then the right-hand side), got %d\n", n, n + 1, n, cols > "/dev/stderr"
		exit 2
	}
	for (k = 1; k <= n; k++) {
		p = k
		for (i = k + 1; i <= n; i++) if (abs(a[i, k]) > abs(a[p, k])) p = i
		if (abs(a[p, k]) <= tol) { print "solver: the system is singular: it has no unique solution" > "/dev/stderr"; exit 3 }
		if (p != k) for (j = k; j <= n + 1; j++) { t = a[k, j]; a[k, j] = a[p, j]; a[p, j] = t }
		for (i = k + 1; i <= n; i++) {
			f = a[i, k] / a[k, k]
			for (j = k; j <= n + 1; j++) a[i, j] -= f * a[k, j]
		}
	}
	for (i = n; i >= 1; i--) {
		s = a[i, n + 1]
		for (j = i + 1; j <= n; j++) s -= a[i, j] * x[j]
		x[i] = s / a[i, i]
	}
	for (i = 1; i <= n; i++) printf "x%d = %.9g\n", i, (x[i] == 0 ? 0 : x[i])
}
