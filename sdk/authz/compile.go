package authz

import (
	"cmp"
	"slices"
)

// flatten computes, for every role, the grants it holds through its
// inheritance closure, so that Check never walks the hierarchy: a bound
// role's grants for a permission are found by one binary search.
//
// The closure is walked breadth first, so the path kept for each reached
// role is a shortest one, and the explanation names the most direct way a
// grant was obtained. For each permission a role keeps either its first
// unconditional grant (any further grant could not change the answer) or,
// when there is none, every conditional grant, each of which Check may
// have to evaluate.
func (p *Policy) flatten(rulesOf [][]int32, ps *problems) {
	n := len(p.roles)
	seen := make([]int32, n) // seen[q] == r+1 once q is reached from r
	parent := make([]int32, n)
	var queue []int32
	var all []grant
	bounds := make([][2]int, n)

	for r := range int32(n) { // #nosec G115 -- n is len(p.roles), at most MaxRoles (10,000) + 1
		queue = append(queue[:0], r)
		seen[r], parent[r] = r+1, -1
		for i := 0; i < len(queue); i++ {
			for _, up := range p.roles[queue[i]].inherits {
				if seen[up] != r+1 {
					seen[up], parent[up] = r+1, queue[i]
					queue = append(queue, up)
				}
			}
		}

		start := len(all)
		for _, q := range queue {
			if len(rulesOf[q]) == 0 {
				continue
			}
			path := p.addPath(r, q, parent)
			for _, ru := range rulesOf[q] {
				for _, pm := range p.rules[ru].perms {
					all = append(all, grant{perm: pm, rule: ru, path: path})
				}
			}
			if len(all) > MaxFlatGrants {
				ps.at(0, 0, "the roles' inheritance closures hold more than %d grants; "+
					"flatten the hierarchy or merge rules", MaxFlatGrants)
				return
			}
		}
		all = all[:start+p.keepDeciding(all[start:])]
		bounds[r] = [2]int{start, len(all)}
	}

	// One exactly sized array for all roles, so that growing all left no
	// garbage behind that the policy keeps alive.
	flat := slices.Clip(slices.Clone(all))
	for r := range p.roles {
		p.roles[r].grants = flat[bounds[r][0]:bounds[r][1]:bounds[r][1]]
	}
}

// addPath stores the path from role r down to role q and returns its
// index.
func (p *Policy) addPath(r, q int32, parent []int32) int32 {
	var path []string
	for at := q; at != -1; at = parent[at] {
		path = append(path, p.roles[at].name)
		if at == r {
			break
		}
	}
	slices.Reverse(path)
	p.paths = append(p.paths, slices.Clip(path))
	// #nosec G115 -- flatten adds at most one path per pair of roles, fewer than
	// (MaxRoles+1)^2, about 1e8, which fits an int32.
	return int32(len(p.paths) - 1)
}

// keepDeciding sorts one role's grants by permission and keeps, for each
// permission, those that can decide: the first unconditional grant alone,
// or else every conditional grant of a distinct rule. The sort is stable,
// so among equals the order of discovery (shorter paths first, then rule
// order) is kept. It returns how many grants remain at the front of gs.
func (p *Policy) keepDeciding(gs []grant) int {
	slices.SortStableFunc(gs, func(a, b grant) int {
		if c := cmp.Compare(a.perm, b.perm); c != 0 {
			return c
		}
		return cmp.Compare(p.condRank(a), p.condRank(b))
	})
	kept := 0
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].perm == gs[i].perm {
			j++
		}
		if p.condRank(gs[i]) == 0 {
			gs[kept] = gs[i]
			kept++
		} else {
			groupStart := kept
			for _, g := range gs[i:j] {
				if !slices.ContainsFunc(gs[groupStart:kept], func(h grant) bool { return h.rule == g.rule }) {
					gs[kept] = g
					kept++
				}
			}
		}
		i = j
	}
	return kept
}

func (p *Policy) condRank(g grant) int {
	if p.rules[g.rule].conditional() {
		return 1
	}
	return 0
}

// grantsFor returns role r's grants of permission pid.
func (r *role) grantsFor(pid int32) []grant {
	gs := r.grants
	i, _ := slices.BinarySearchFunc(gs, pid, func(g grant, t int32) int { return cmp.Compare(g.perm, t) })
	j := i
	for j < len(gs) && gs[j].perm == pid {
		j++
	}
	return gs[i:j]
}
