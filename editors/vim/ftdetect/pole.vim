" Pole IR files: *.pole-ir
autocmd BufRead,BufNewFile *.pole-ir setfiletype pole
