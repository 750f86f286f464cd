package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// run is one wrk run of bench/peers.sh (a row of its runs.tsv).
type run struct {
	round, conns     int
	query, server    string
	requests         float64
	rps, p50, p99    float64 // p50 and p99 in ms
	serverCPU, pgCPU float64 // CPU-seconds during the run
	non2xx           int
	load             float64
}

// report prints the medians of the interleaved rounds in runs.tsv as a Markdown table: per query
// and connection count, each server's requests/s, p50/p99, and CPU-seconds per 1,000 requests
// of the server process and of PostgreSQL, and the median of the rounds' SkillSwap/PostGraphile
// ratios of requests/s.
func report(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var runs []run
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 12 {
			return fmt.Errorf("runs.tsv: short line %q", sc.Text())
		}
		r := run{query: c[2], server: c[3]}
		r.round, _ = strconv.Atoi(c[0])
		r.conns, _ = strconv.Atoi(c[1])
		r.requests, _ = strconv.ParseFloat(c[4], 64)
		r.rps, _ = strconv.ParseFloat(c[5], 64)
		r.p50, r.p99 = millis(c[6]), millis(c[7])
		r.serverCPU, _ = strconv.ParseFloat(c[8], 64)
		r.pgCPU, _ = strconv.ParseFloat(c[9], 64)
		r.non2xx, _ = strconv.Atoi(c[10])
		if r.requests > 0 {
			// wrk counts refused answers (503 from the admission lane, say) as requests: the
			// rate is of 2xx answers only.
			r.rps *= (r.requests - float64(r.non2xx)) / r.requests
		}
		r.load, _ = strconv.ParseFloat(c[11], 64)
		runs = append(runs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	type key struct {
		conns         int
		query, server string
	}
	groups := map[key][]run{}
	var order []key
	loads := []float64{}
	non2xx := 0
	for _, r := range runs {
		k := key{r.conns, r.query, r.server}
		if _, ok := groups[k]; !ok && r.server == "skillswap" {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
		loads = append(loads, r.load)
		non2xx += r.non2xx
	}
	med := func(rs []run, f func(run) float64) float64 {
		v := make([]float64, 0, len(rs))
		for _, r := range rs {
			v = append(v, f(r))
		}
		return median(v)
	}
	perK := func(cpu func(run) float64) func(run) float64 {
		return func(r run) float64 {
			if r.requests == 0 {
				return 0
			}
			return cpu(r) / r.requests * 1000
		}
	}
	fmt.Printf("Medians of %d rounds (load average during the runs: %.1f to %.1f, median %.1f); non-2xx answers: %d (req/s counts 2xx answers only; CPU is per answer).\n\n",
		len(groups[order[0]]), slices.Min(loads), slices.Max(loads), median(loads), non2xx)
	fmt.Println("| query | conns | SkillSwap req/s | PostGraphile req/s | ratio | SkillSwap p50 / p99 ms | PostGraphile p50 / p99 ms | SkillSwap CPU s/1k req | PostGraphile CPU s/1k req | PostgreSQL CPU s/1k req (SkillSwap / PostGraphile) | ≥ 2x |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, k := range order {
		ss := groups[k]
		pg := groups[key{k.conns, k.query, "peers"}]
		var ratios []float64
		for _, a := range ss {
			for _, b := range pg {
				if a.round == b.round && b.rps > 0 {
					ratios = append(ratios, a.rps/b.rps)
				}
			}
		}
		ratio := median(ratios)
		met := "no"
		if ratio >= 2 {
			met = "yes"
		}
		fmt.Printf("| %s | %d | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %.2f / %.2f | %s |\n",
			k.query, k.conns, med(ss, func(r run) float64 { return r.rps }), med(pg, func(r run) float64 { return r.rps }), ratio,
			med(ss, func(r run) float64 { return r.p50 }), med(ss, func(r run) float64 { return r.p99 }),
			med(pg, func(r run) float64 { return r.p50 }), med(pg, func(r run) float64 { return r.p99 }),
			med(ss, perK(func(r run) float64 { return r.serverCPU })), med(pg, perK(func(r run) float64 { return r.serverCPU })),
			med(ss, perK(func(r run) float64 { return r.pgCPU })), med(pg, perK(func(r run) float64 { return r.pgCPU })), met)
	}
	return nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// millis reads wrk's latency ("812.00us", "3.41ms", "1.02s") in milliseconds.
func millis(s string) float64 {
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}} {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err == nil {
				return v * u.scale
			}
		}
	}
	return 0
}
