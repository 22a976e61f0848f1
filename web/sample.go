package web

// sampleScenario fills an empty playground.
const sampleScenario = `# A hash map with 8 buckets; zero_seed makes the buckets predictable.
map counts type=hash key=4 value=8 max=8 flags=zero_seed
update counts 1 100
update counts 2 200
update counts 9 900
lookup counts 2
delete counts 1
walk counts
`
