import { describe, expect, it } from 'vitest'
import { parseSideBySide } from '../../bench/lib/side-by-side-output.js'

// The opening and closing lines of a real run of ../shared/bench/side-by-side.sh 8 "1 16".
const run = `NOTICE:  database "sbs_py" does not exist, skipping
{"c":1,"flip_py":{"rps":123.7,"ok":990,"codes":{"201":990},"p50":7.5,"p95":11.1,"p99":14.2,"concurrency":1,"seconds":8.002},"flip_py_rss_kb":81860}
{"c":1,"flip_users":{"rps":157.9,"ok":1264,"codes":{"201":1264},"p50":5.6,"p95":9.8,"p99":12.9,"concurrency":1,"seconds":8.005},"flip_users_rss_kb":173408}
{"c":1,"floor_tps":388.524881}
{"c":16,"flip_py":{"rps":143.8,"ok":1159,"codes":{"201":1159},"p50":108.6,"p95":160.9,"p99":181.5,"concurrency":16,"seconds":8.059},"flip_py_rss_kb":83992}
{"c":16,"flip_users":{"rps":288.5,"ok":2314,"codes":{"201":2314},"p50":54.1,"p95":73.5,"p99":106.7,"concurrency":16,"seconds":8.022},"flip_users_rss_kb":173764}
{"c":16,"floor_tps":1419.491110}
c=1 flip-users/flip-py=1.28 flip-users/floor=0.41 (157.9/s vs 123.7/s, floor 388.524881/s)
c=16 flip-users/flip-py=2.01 flip-users/floor=0.20 (288.5/s vs 143.8/s, floor 1419.491110/s)
`

describe('reading a side-by-side run', () => {
  it('gives each level both servers, the floor and the peak RSS, in the order run', () => {
    const levels = parseSideBySide(run)
    expect(levels.map((level) => level.connections)).toEqual([1, 16])
    expect(levels[1]).toMatchObject({
      flipReference: { rps: 143.8, ok: 1159, p50: 108.6, p99: 181.5 },
      flipUsers: { rps: 288.5, ok: 2314, p50: 54.1, p99: 106.7 },
      floorPerSecond: 1419.49111,
      flipReferenceRssKb: 83992,
      flipUsersRssKb: 173764,
    })
  })

  it('leaves out a level whose servers did not both report, and refuses a run with none', () => {
    const cut = run.split('\n').slice(0, 5).join('\n')
    expect(parseSideBySide(cut).map((level) => level.connections)).toEqual([1])
    expect(() => parseSideBySide('not up: http://127.0.0.1:18903/api/health')).toThrow(/reported no level/)
  })
})
