(* sort_by: twin of sort_by.pole-ir (and sort_by_hand.pole-ir): 10^6
   immutable records sorted by an int key with List.stable_sort (a merge
   sort), then their ids summed by position. *)

let count = 1_000_000

type record = { id : int; key : int; weight : int }

let lcg s = (s * 1103515245 + 12345) mod 2147483648

let make i =
  let s = lcg (lcg i) in
  { id = i; key = s / 1024 mod 100000; weight = s mod 1000 }

let () =
  let n = count in
  let sorted = List.stable_sort (fun a b -> a.key - b.key) (List.init n make) in
  let sum = List.fold_left (fun acc r -> (acc * 31 + r.id + r.weight) mod 1000000007) 0 sorted in
  Printf.printf "sort_by n=%d first=%d last=%d checksum=%d\n" (List.length sorted)
    (List.hd sorted).key (List.nth sorted (n - 1)).key sum
