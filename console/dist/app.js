var S,Oe,Dt,O,he,ie,He,se,qe,ve,ge,Mt,K=Symbol.for("pv"),ae={},ce=[],Nt=/^m(i|n|o|s|text|space)$/,be=Array.isArray,$e=ce.slice,B=Object.assign;function j(t){t&&t.parentNode&&t.remove()}function ye(t,e,n){var s,i,o,a={},c=arguments.length;for(o in e)o=="key"?s=e[o]:o=="ref"&&typeof t!="function"?i=e[o]:a[o]=e[o];return c>2&&(a.children=c>3?$e.call(arguments,2):n),z(t,a,s,i,null)}function z(t,e,n,s,i){var o={type:t,props:e,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:K,__v:i||++Oe,__i:-1,__u:0};return!i&&S.vnode&&S.vnode(o),o}function le(t){return t.children}function X(t,e){this.props=t,this.context=e,this.__g=0}function H(t,e){if(e==null)return t.__&&H(t.__,t.__i+1);for(var n;e<t.__k.length;e++)if((n=t.__k[e])&&n.__e)return n.__e;return typeof t.type!="function"||t.props.__P?null:H(t)}function At(t){var e,n=t.__v,s=n.__e,i=[],o=[],a=t.__P;a&&((e=B({constructor:K},n)).__v=n.__v+1,S.vnode&&S.vnode(e),ke(a,e,n,t.__n,a.namespaceURI,32&n.__u?[s]:null,i,s||H(n),32&n.__u,o),e.__v=n.__v,e.__.__k[e.__i]=e,We(i,e,o),n.__=n.__e=null,e.__e!=s&&Ue(e))}function Ue(t){if((t=t.__)&&t.__c&&!t.props.__P)return t.__e=null,t.__k.some(function(e){return e&&(t.__e=e.__e)}),Ue(t)}function Ae(t){(8&t.__g||(t.__g|=8,O.push(t),ie++))&&he==S.debounceRendering||((he=S.debounceRendering)||queueMicrotask)(Fe)}function Fe(){try{for(var t,e=1;O.length;)O.length>e&&O.sort(He),t=O.shift(),e=O.length,8&t.__g&&At(t)}finally{(ie=O.length)&&(he||queueMicrotask)(Fe)}}function je(t,e,n,s,i,o,a,c,d,m,l){var p,f,r,_,g,v,$=s.__k||ce,k=e.length;for(d=It(n,e,$,d,k),p=0;p<k;p++)(r=n.__k[p])!=null&&(f=~r.__i&&$[r.__i]||ae,r.__i=p,v=ke(t,r,f,i,o,a,c,d,m,l),_=r.__e,(f.ref!=r.ref||8&f.__u)&&(f.ref&&we(f.ref,null,r,f),r.ref&&l.push(r.ref,r.__c||_,r)),g=g||_,4&r.__u?(d=Be(r,d,t,!f.__v),f.__e&&(f.__e=null)):typeof r.type=="function"&&v!==void 0?d=v:_&&(d=_.nextSibling),r.__u&=-21);return n.__e=g,d}function It(t,e,n,s,i){var o,a,c,d,m,l,p,f,r,_=n.length,g=_,v=0,$=0,k=t.__k=Array(i);for(o=0;o<i;o++)(a=e[o])!=null&&typeof a!="boolean"&&typeof a!="function"?(typeof a!="object"||a.constructor===String?a=k[o]=z(null,a):be(a)?a=k[o]=z(le,{children:a}):a.constructor===K&&a.__b?a=k[o]=z(a.type,a.props,a.key,a.ref,a.__v):k[o]=a,d=o+v,a.__=t,a.__b=t.__b+1,c=null,~(m=a.__i=Ot(a,n,d,g))&&(g--,(c=n[m])&&(c.__u|=2)),c&&c.__v?(a.__u|=16,m==d-1?v--:m==d+1?v++:m!=d&&(m>d?v--:v++,$=1)):(~m||(i>_?v--:i<_&&v++),typeof a.type!="function"&&(a.__u|=4))):k[o]=null;if($){for(l=[],p=[],o=0;o<i;o++)if((a=k[o])&&16&a.__u){for(v=0,f=l.length;v<f;)l[r=v+f>>1]<a.__i?v=r+1:f=r;l[v]=a.__i,p[o]=v+1}for(v=l.length;o--;)p[o]&&(p[o]==v?v--:k[o].__u|=4)}if(g)for(o=0;o<_;o++)!(c=n[o])||2&c.__u||(c.__e==s&&(s=H(c)),Se(c,c));return s}function Be(t,e,n,s){var i,o,a,c;if(typeof t.type=="function"){if(t.props.__P)return e;if(i=t.__k)for(o=0;o<i.length;o++)i[o]&&(i[o].__=t,e=Be(i[o],e,n,!1));return e}for(e&&!e.parentNode&&(e=H(t))&&!e.parentNode&&(e=null),a=t.__e,c=e;c&&c.nodeType==8;)c=c.nextSibling;for(a!=c&&(!s&&n.moveBefore&&a.parentNode?n.moveBefore(a,e):n.insertBefore(a,e||null)),e=a;(e=e&&e.nextSibling)&&e.nodeType==8&&!e.data.startsWith("$s"););return e}function Ot(t,e,n,s){var i,o=t.key,a=t.type,c=e[n],d=c&&!(2&c.__u);if(c===null&&o==null||d&&o==c.key&&a==c.type)return n;if(s>(d?1:0)){for(i=n-1;i>=0;i--)if((c=e[i])&&!(2&c.__u)&&o==c.key&&a==c.type)return i;for(i=n+1;i<e.length;i++)if((c=e[i])&&!(2&c.__u)&&o==c.key&&a==c.type)return i}return-1}function Ie(t,e,n){n==null&&(n=""),e[0]=="-"?t.setProperty(e,n):t[e]=n}function oe(t,e,n,s,i){var o,a;if(e=="style")if(typeof n=="string")t.style.cssText=n;else{if(typeof s=="string"&&(t.style.cssText=s=""),s)for(e in s)n&&e in n||Ie(t.style,e);if(n)for(e in n)s&&n[e]==s[e]||Ie(t.style,e,n[e])}else if(e[0]=="o"&&e[1]=="n")typeof n!="function"&&(n=null),typeof s!="function"&&(s=null),(t.__e||(t.__e={}))[e]=n,n&&s||(a=ge[e]||(ge[e]=Ht(e)),(t.__a||(t.__a={}))[e]=ve,o=e!=(e=e.replace(qe,"$1")),(e=e.slice(2))[0]<"a"&&(e=e.toLowerCase()),n?t.addEventListener(e,a,o):t.removeEventListener(e,a,o));else{if(i=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in t)try{return void(t[e]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&e[4]!="-"?t.removeAttribute(e):t.setAttribute(e,e=="popover"&&n==1?"":n)}}function Ht(t){return function(e){var n=this.__e;if(n){if(n=n[t],e[se]==null)e[se]=ve++;else if(e[se]<this.__a[t])return;return n(S.event?S.event(e):e)}}}function ke(t,e,n,s,i,o,a,c,d,m){var l,p,f,r,_,g,v,$,k,b,y,q,U,M,D,G,I,F,N=e.type;if(e.constructor!==K)return null;128&n.__u&&(d=32&n.__u,l=n.__c.__z)&&(e.__u|=d,p=o=[],l.nodeType==8?c=re(l,o):o.push(l),c=o[0]||c),(l=S.__b)&&l(e);e:if(typeof N=="function"){f=a.length;try{if($=e.props,k=(l=N.prototype)&&l.render,b=(l=N.contextType)&&s[l.__c],y=l?b?b.props.value:l.__:s,(r=n.__c)?(e.__c=r,2&r.__g&&(r.__g|=1)):(k?e.__c=r=new N($,y):(e.__c=r=new X($,y),r.constructor=N,r.render=Ut),b&&b.sub(r),r.state||(r.state={}),r.__n=s,r.__g|=8,r.__h=[],r.__k=[]),k&&(r.__s||(r.__s=r.state),N.getDerivedStateFromProps&&(r.__s==r.state&&(r.__s=B({},r.__s)),B(r.__s,N.getDerivedStateFromProps($,r.__s)))),_=r.props,g=r.state,r.__v=e,n.__c){if($!==_&&k&&!N.getDerivedStateFromProps&&r.componentWillReceiveProps&&r.componentWillReceiveProps($,y),e.__v==n.__v&&!(8&r.__g)||!(4&r.__g)&&r.shouldComponentUpdate&&r.shouldComponentUpdate($,r.__s,y)===!1){e.__v!=n.__v&&(r.props=$,r.state=r.__s,r.__g&=-9),e.__e=n.__e,e.__k=n.__k,e.__k.some(function(R){R&&(R.__=e)}),ce.push.apply(r.__h,r.__k),r.__k=[],r.__h.length&&a.push(r),c=H(n);break e}r.componentWillUpdate&&r.componentWillUpdate($,r.__s,y),k&&r.componentDidUpdate&&r.__h.push(function(){r.componentDidUpdate(_,g,v)})}else k&&!N.getDerivedStateFromProps&&r.componentWillMount&&r.componentWillMount(),k&&r.componentDidMount&&r.__h.push(r.componentDidMount);r.context=y,r.props=$,r.__P=t,r.__g&=-5,q=S.__r,U=k?25:0;do r.__g&=-9,q&&q(e),l=r.render(r.props,r.state=r.__s,r.context);while(8&r.__g&&++U<25);k&&(ce.push.apply(r.__h,r.__k),r.__k=[]),r.state=r.__s,r.getChildContext&&(s=B({},s,r.getChildContext())),k&&n.__c&&r.getSnapshotBeforeUpdate&&(v=r.getSnapshotBeforeUpdate(_,g)),M=l&&l.type===le&&l.key==null?l.props.children:l,$.__P&&(l=c,i=(t=$.__P).namespaceURI,d=o=null,n.props&&n.props.__P!=t&&(n.__k.some(function(R){R&&Se(R,R)}),n.__k=null),c=n.__k?H(n,0):null),c=je(t,be(M)?M:[M],e,n,s,i,o,a,c,d,m),$.__P&&(e.__e=null,c=l),e.__u&=-161,p&&p.some(j),r.__h.length&&a.push(r),1&r.__g&&(r.__g&=-4)}catch(R){if(a.length=f,e.__v=null,d||o)if(R&&R.then){if(e.__u|=128|d,o){for(~(I=o.indexOf(c||void 0))||(I=o.length);(F=o[I-1])&&F.nodeType==8;)I--;for(;I<o.length;I++)if(F=o[I])if(o[I]=null,D){if(F==G)break}else{if(F.nodeType!=8)break;F.data.startsWith("$s")&&(G=re(D=F))}}if(!D){for(;c&&c.nodeType==8&&c.nextSibling;)c=c.nextSibling;D=c}(l=re(D=e.__c.__z||(e.__c.__z=D)))?(e.__e=D,c=l):e.__e=c,c=c&&c.nextSibling}else o&&o.some(j);else e.__e=n.__e;e.__k||(e.__k=n.__k||[]),R&&R.then||Ve(e),S.__e(R,e,n)}}else c=e.__e=qt(n.__e,e,n,s,i,o,a,d,m,t);return(l=S.diffed)&&l(e),c}function re(t,e){if(t&&t.nodeType==8&&t.data.startsWith("$s"))for(var n=1;t=t.nextSibling;){if(t.nodeType==8){if(t.data.startsWith("$s"))n++;else if(t.data.startsWith("/$s")&&!--n)return t}e&&e.push(t)}}function Ve(t){t&&(t.__c&&(t.__c.__g|=4),t.__k&&t.__k.some(Ve))}function We(t,e,n){for(var s=0;s<n.length;)we(n[s++],n[s++],n[s++]);S.__c&&S.__c(e,t),t.some(function(i){try{t=i.__h,i.__h=[],t.some(function(o){o.call(i)})}catch(o){S.__e(o,i.__v)}})}function qt(t,e,n,s,i,o,a,c,d,m){var l,p,f,r,_,g,v,$,k=n.props||ae,b=e.props,y=e.type;if(y=="svg"?i="http://www.w3.org/2000/svg":y=="math"?i="http://www.w3.org/1998/Math/MathML":i||(i="http://www.w3.org/1999/xhtml"),o){for(l=0;l<o.length;l++)if((_=o[l])&&(y?_.localName==y:_.nodeType==3)){t=_,o[l]=null;break}}if(!t){if($=m.ownerDocument||document,!y)return $.createTextNode(b);t=$.createElementNS(i,y,b.is?b:m),c&&(S.__m&&S.__m(e,o),c=!1),o=null}if(y){if(m=y=="template"&&t.content||t,o=y=="textarea"&&b.defaultValue!=null?null:o&&$e.call(m.childNodes),!c&&o)for(k={},l=0;l<t.attributes.length;l++)k[(_=t.attributes[l]).name]=_.value;for(l in k)_=k[l],l=="dangerouslySetInnerHTML"?f=_:l=="children"||l in b||l=="value"&&"defaultValue"in b||l=="checked"&&"defaultChecked"in b||oe(t,l,null,_,i);for(l in b)_=b[l],l=="children"?r=_:l=="dangerouslySetInnerHTML"?p=_:l=="value"?g=_:l=="checked"?v=_:c&&typeof _!="function"||k[l]===_||oe(t,l,_,k[l],i);p?(c||f&&(p.__html==f.__html||p.__html==t.innerHTML)||(t.innerHTML=p.__html),e.__k=[]):(f&&(t.textContent=""),(y=="foreignObject"||i=="http://www.w3.org/1998/Math/MathML"&&Nt.test(y))&&(i="http://www.w3.org/1999/xhtml"),je(m,be(r)?r:[r],e,n,s,i,o,a,o?o[0]:n.__k&&H(n,0),c,d),o&&o.some(j)),c&&y!="textarea"||(l="value",y=="progress"&&g==null?t.removeAttribute(l):g==null||g===t[l]&&(y!="progress"||g)||oe(t,l,g,k[l],i),l="checked",v!=null&&v!=t[l]&&oe(t,l,v,k[l],i))}else k===b||c&&t.data==b||(t.data=b);return t}function we(t,e,n,s){try{typeof t=="function"?e?e.__x=t(e)||1:s&&(s=s.__c||s.__e)&&(e=s.__x)&&(s.__x=null,typeof e=="function"?e():t(null)):t.current=e}catch(i){S.__e(i,n)}}function Se(t,e,n){var s,i,o,a;if(S.unmount&&S.unmount(t),!(s=t.ref)||s.current&&s.current!=t.__e||we(s,null,e,t),s=t.__c){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(c){S.__e(c,e)}s.__P=s.__n=null}if(s=t.__k)for(a=0;a<s.length;a++)s[a]&&Se(s[a],e,typeof t.type!="function"||n&&!t.props.__P);!n&&(s=t.__c)&&(s=s.__z)&&(i=re(s,o=[]))&&(s==t.__e&&o.some(j),j(i),j(s)),n||j(t.__e),t.__e=t.__c=t.__=null}function Ut(t,e,n){return this.constructor(t,n)}function xe(t,e){var n,s,i,o;S.__&&S.__(t,e),e.nodeType==9&&(e=e.documentElement),s=(n=t&&32&t.__u)?null:e.__k,e.__k=z(le,{children:[t]}),i=[],o=[],ke(e,e.__k,s||ae,ae,e.namespaceURI,s?null:e.firstChild?$e.call(e.childNodes):null,i,s?s.__e:e.firstChild,n,o),We(i,e.__k,o),e.__k.props.children=null}S={__e:function(t,e,n,s){for(var i,o,a;e=e.__;)if((i=e.__c)&&!(1&i.__g)){i.__g|=4;try{if((a=(o=i.constructor)&&o.getDerivedStateFromError)&&i.setState(o.getDerivedStateFromError(t)),i.componentDidCatch&&(i.componentDidCatch(t,s||{}),a=1),a&&8&i.__g)return void(i.__g|=2)}catch(c){t=c}}throw ie=0,t}},Oe=0,Dt=function(t){return t!=null&&t.constructor===K},X.prototype.setState=function(t,e){var n=this.__s;n&&n!=this.state||(n=this.__s=B({},this.state)),typeof t=="function"&&(t=t(B({},n),this.props)),t&&(B(n,t),this.__v&&(e&&this.__k.push(e),Ae(this)))},X.prototype.forceUpdate=function(t){this.__v&&(this.__g|=4,t&&this.__h.push(t),Ae(this))},X.prototype.render=le,O=[],ie=0,He=function(t,e){return t.__v.__b-e.__v.__b},se=Symbol(),qe=/(PointerCapture)$|Capture$/i,ve=0,ge={},Mt=0;var Je=function(t,e,n,s){var i;e[0]=0;for(var o=1;o<e.length;o++){var a=e[o++],c=e[o]?(e[0]|=a?1:2,n[e[o++]]):e[++o];a===3?s[0]=c:a===4?s[1]=Object.assign(s[1]||{},c):a===5?(s[1]=s[1]||{})[e[++o]]=c:a===6?s[1][e[++o]]+=c+"":a?(i=t.apply(c,Je(t,c,n,["",null])),s.push(i),c[0]?e[0]|=2:(e[o-2]=0,e[o]=i)):s.push(c)}return s},Ge=new Map;function ze(t){var e=Ge.get(this);return e||(e=new Map,Ge.set(this,e)),(e=Je(this,e.get(t)||(e.set(t,e=(function(n){for(var s,i,o=1,a="",c="",d=[0],m=function(f){o===1&&(f||(a=a.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?d.push(0,f,a):o===3&&(f||a)?(d.push(3,f,a),o=2):o===2&&a==="..."&&f?d.push(4,f,0):o===2&&a&&!f?d.push(5,0,!0,a):o>=5&&((a||!f&&o===5)&&(d.push(o,0,a,i),o=6),f&&(d.push(o,f,0,i),o=6)),a=""},l=0;l<n.length;l++){l&&(o===1&&m(),m(l));for(var p=0;p<n[l].length;p++)s=n[l][p],o===1?s==="<"?(m(),d=[d],o=3):a+=s:o===4?a==="--"&&s===">"?(o=1,a=""):a=s+a[0]:c?s===c?c="":a+=s:s==='"'||s==="'"?c=s:s===">"?(m(),o=1):o&&(s==="="?(o=5,i=a,a=""):s==="/"&&(o<5||n[l][p+1]===">")?(m(),o===3&&(d=d[0]),o=d,(d=d[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(m(),o=2):a+=s),o===3&&a==="!--"&&(o=4,d=d[0])}return m(),d})(t)),e),arguments,[])).length>1?e:e[0]}var u=ze.bind(ye);var Z,L,Pe,Xe,Ee=Object.is,ue=0,st=[],Ce=[],C=S,Ke=C.__b,Ye=C.__r,Ze=C.diffed,Qe=C.__c,et=C.unmount,tt=C.__;function Te(t,e){C.__h&&C.__h(L,t,ue||e),ue=0;var n=L.__H||(L.__H={__:[],__h:[]});return t>=n.__.length&&n.__.push({}),n.__[t]}function h(t){return ue=1,Ft(at,t)}function Ft(t,e,n){var s=Te(Z++,2);if(s.t=t,!s.__c&&(s.__=[n?n(e):at(void 0,e),function(o){var a=(s.__N||s.__)[0],c=s.t(a,o);Ee(a,c)||(s.__N=[c,s.__[1]],s.__c.setState({}))}],s.__c=L,!L.__f)){L.__f=!0;var i=L.shouldComponentUpdate;L.shouldComponentUpdate=function(o,a,c){var d=this.__H;if(!d)return!0;var m=!1,l=this.props!=o;if(d.__.some(function(f){f.__N&&(m=!0,Ee(f.__[0],f.__N[0])||(l=!0))}),i){var p=i.call(this,o,a,c);return m?p||l:p}return!m||l}}return s.__}function w(t,e){var n=Te(Z++,3);!C.__s&&it(n.__H,e)&&(n.__P=!0,n.__=t,n.u=e,L.__H.__h.push(n))}function rt(t){return ue=5,jt(function(){return{current:t}},[])}function jt(t,e){var n=Te(Z++,7);return it(n.__H,e)&&(n.__=t(),n.__H=e),n.__}function Bt(){var t;do{for(;t=Ce.shift();)try{Y(t)}catch(n){C.__e(n,{__:(t=t.__P)&&t.__v})}for(;t=st.shift();){var e=t.__H;if(t.__P&&e)try{e.__h.some(Y),e.__h.some(Le),e.__h=[]}catch(n){e.__h=[],C.__e(n,t.__v)}}}while(Ce.length)}C.__b=function(t){L=null,Ke&&Ke(t)},C.__=function(t,e){t&&e.__k&&e.__k.__m&&(t.__m=e.__k.__m),tt&&tt(t,e)},C.__r=function(t){Ye&&Ye(t),Z=0;var e=(L=t.__c).__H;e&&(Pe==L?L.__h=[]:(e.__h.some(Y),e.__h.some(Le),Z=0),e.__h=[],e.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),Pe=L},C.diffed=function(t){Ze&&Ze(t);var e=t.__c;e&&e.__H&&(e.__H.__h.length&&ot(st.push(e)),e.__H.__.some(function(n){n.u&&(n.__H=n.u)})),Pe=L=null},C.__c=function(t,e){e.some(function(n){try{n.__h.some(Y),n.__h=n.__h.filter(function(s){return!s.__||Le(s)})}catch(s){n.__h=[function(){throw s}]}}),Qe&&Qe(t,e)},C.unmount=function(t){et&&et(t);var e,n,s=t.__c;s&&s.__H&&(s.__H.__.some(function(i){try{if(i.__P&&i.__c){if(n===void 0){for(n=t.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}i.__P=n,ot(Ce.push(i))}else Y(i)}catch(o){e=o}}),s.__H=void 0,e&&C.__e(e,s.__v))};var nt=typeof requestAnimationFrame=="function";function Vt(t){var e,n=function(){clearTimeout(s),nt&&cancelAnimationFrame(e),setTimeout(t)},s=setTimeout(n,35);nt&&(e=requestAnimationFrame(n))}function ot(t){t!=1&&Xe==C.requestAnimationFrame||((Xe=C.requestAnimationFrame)||Vt)(Bt)}function Y(t){var e=L,n=t.__c;typeof n=="function"&&(t.__c=void 0,n()),L=e}function Le(t){var e=L;t.__c=t.__(),L=e}function it(t,e){return!t||t.length!=e.length||e.some(function(n,s){return!Ee(n,t[s])})}function at(t,e){return typeof e=="function"?e(t):e}var P=class extends Error{constructor(n,s,i){super(s);this.status=n;this.body=i}status;body},Re,ct=()=>{};function de(t){Re=t}function lt(t){ct=t}async function E(t,e={}){let n=e.method??"GET",s={accept:"application/json",...e.headers};e.body!==void 0&&(s["content-type"]="application/json"),n!=="GET"&&Re&&(s["x-umbra-csrf"]=Re);let i;try{i=await fetch(t,{method:n,headers:s,credentials:"same-origin",body:e.body===void 0?void 0:JSON.stringify(e.body)})}catch{throw new P(0,"The node is unreachable")}let o=await i.text(),a;try{a=o?JSON.parse(o):void 0}catch{a=void 0}if(!i.ok){i.status===401&&!e.quiet401&&ct();let c=a?.message??`${i.status} ${i.statusText}`;throw new P(i.status,c,a)}return a}var T=encodeURIComponent;var De=class{source;listeners=new Set;statusListeners=new Set;status="connecting";everLive=!1;wanted=!1;start(){if(this.wanted=!0,this.source)return;let e=new EventSource("/console/api/events");this.source=e,e.addEventListener("hello",()=>{this.everLive&&this.emit({type:"reconnected"}),this.everLive=!0,this.setStatus("live")}),e.addEventListener("shadow",n=>this.emit({type:"shadow",data:JSON.parse(n.data)})),e.addEventListener("presence",n=>this.emit({type:"presence",data:JSON.parse(n.data)})),e.onerror=()=>{this.setStatus("lost"),e.readyState===EventSource.CLOSED&&(this.source=void 0,E("/session").catch(()=>{}),setTimeout(()=>{this.wanted&&this.start()},2e3))}}stop(){this.wanted=!1,this.source?.close(),this.source=void 0,this.everLive=!1,this.setStatus("connecting")}subscribe(e){return this.listeners.add(e),()=>this.listeners.delete(e)}onStatus(e){return this.statusListeners.add(e),()=>this.statusListeners.delete(e)}emit(e){for(let n of this.listeners)n(e)}setStatus(e){if(e!==this.status){this.status=e;for(let n of this.statusListeners)n(e)}}},V=new De;function pe(t,e=[]){w(()=>V.subscribe(t),e)}function ut(){let[t,e]=h(V.status);return w(()=>V.onStatus(e),[]),t}function _e(t){return t.role==="operator"||t.role==="anonymous"}async function dt(){let t=await E("/session",{quiet401:!0});return de(t.csrf),t}async function pt(t){let e=await E("/session",{method:"POST",body:t,headers:{"x-umbra-console":"1"},quiet401:!0});return de(e.csrf),e}async function _t(){await E("/session",{method:"DELETE"}).catch(()=>{}),de(void 0)}function ft({reason:t,onSignedIn:e}){let[n,s]=h("password"),[i,o]=h(t),[a,c]=h(!1);return u`<main class="centered">
    <form class="card signin" onSubmit=${async m=>{m.preventDefault();let l=new FormData(m.target);c(!0),o(void 0);try{let p=await pt(n==="token"?{token:String(l.get("token")??"")}:{username:String(l.get("username")??""),password:String(l.get("password")??"")});e(p)}catch(p){o(p instanceof P?p.message:String(p))}finally{c(!1)}}} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Umbra</h1>
      <div class="tabs" role="group" aria-label="Sign-in method">
        <button type="button" aria-pressed=${n==="password"} onClick=${()=>s("password")}>
          User name and password
        </button>
        <button type="button" aria-pressed=${n==="token"} onClick=${()=>s("token")}>Bearer token</button>
      </div>
      ${n==="password"?u`<label>User name <input name="username" autocomplete="username" required /></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`:u`<label>Token <input name="token" autocomplete="off" placeholder="umb_…" required /></label>`}
      ${i?u`<p class="error" role="alert">${i}</p>`:null}
      <button type="submit" class="primary" disabled=${a}>Sign in</button>
      <p class="hint">Operators and viewers sign in here; <code>umbra user add</code> creates them.</p>
    </form>
  </main>`}function Q(t){return t===void 0?"\u2014":new Date(t*1e3).toLocaleString()}function W(t,e=Date.now()){if(t===void 0)return"\u2014";let n=Math.max(0,Math.round(e/1e3-t));return n<60?`${n} s ago`:n<3600?`${Math.floor(n/60)} min ago`:n<86400?`${Math.floor(n/3600)} h ago`:`${Math.floor(n/86400)} d ago`}function fe(t){return t<1024?`${t} B`:t<1024*1024?`${(t/1024).toFixed(1)} KiB`:`${(t/1024/1024).toFixed(1)} MiB`}function mt(t){return t<1e3?`${t} ms`:t<6e4?`${(t/1e3).toFixed(1)} s`:`${Math.floor(t/6e4)} min ${Math.round(t%6e4/1e3)} s`}function ee(t){return t===void 0?"":JSON.stringify(t,null,2)}function ht(t){let e=t.replace(/^#\/?/,""),[n="",s=""]=e.split("?"),[i="",...o]=n.split("/").map(a=>decodeURIComponent(a));return{page:i,args:o,query:new URLSearchParams(s)}}function gt(){let[t,e]=h(()=>ht(location.hash));return w(()=>{let n=()=>e(ht(location.hash));return addEventListener("hashchange",n),()=>removeEventListener("hashchange",n)},[]),t}function te(t,e){return`#/things/${encodeURIComponent(t)}${e?`?shadow=${encodeURIComponent(e)}`:""}`}var Wt=50;function vt(t){let[e,n]=h(""),[s,i]=h(""),[o,a]=h([""]),[c,d]=h(),[m,l]=h(),[p,f]=h(),[r,_]=h(0),[g,v]=h(0),$=o[o.length-1]??"";w(()=>{let b=setTimeout(()=>{i(e.trim()),a([""])},200);return()=>clearTimeout(b)},[e]),w(()=>{let b=!1;return E(`/console/api/things?limit=${Wt}&cursor=${T($)}&filter=${T(s)}`).then(y=>{b||(d(y.things),l(y.nextCursor),f(void 0),v(0))}).catch(y=>!b&&f(y instanceof P?y.message:String(y))),()=>{b=!0}},[$,s,r]);let k=rt(!0);return w(()=>{c&&k.current&&(k.current=!1,performance.mark("umbra:fleet-rendered"))},[c]),pe(b=>{if(b.type==="reconnected")return _(y=>y+1);d(y=>{if(!y)return y;let q=y.findIndex(G=>G.thing===b.data.thing);if(q<0)return b.type==="shadow"&&b.data.shadow===""&&b.data.version===1&&v(G=>G+1),y;let U=y[q],M;if(b.type==="presence")M={...U,connection:b.data.connection};else{if(b.data.shadow!=="")return y;b.data.deleted?M={...U,classic:!1,version:void 0,deltaLeaves:0,conflictLeaves:0}:M={...U,classic:!0,version:b.data.version,deltaLeaves:b.data.deltaLeaves??0,conflictLeaves:b.data.conflictLeaves??0,lastReport:b.data.lastReport??U.lastReport}}let D=y.slice();return D[q]=M,D})}),u`
    <h1>Fleet</h1>
    <div class="toolbar">
      <label class="filter">Filter by name
        <input type="search" value=${e} placeholder="e.g. pdu-" onInput=${b=>n(b.target.value)} />
      </label>
      <span class="pager">
        <button disabled=${o.length<2} onClick=${()=>a(o.slice(0,-1))}>← Previous</button>
        <span aria-live="polite">Page ${o.length}</span>
        <button disabled=${m===void 0} onClick=${()=>m!==void 0&&a([...o,m])}>Next →</button>
      </span>
    </div>
    ${p?u`<p class="error" role="alert">${p}</p>`:null}
    ${g>0?u`<p class="meta" role="status" data-testid="fleet-created">
            ${g} new ${g===1?"thing":"things"} since this page was read.
            <button onClick=${()=>_(b=>b+1)}>Refresh</button>
          </p>`:null}
    ${c===void 0?u`<p>Loading things…</p>`:u`<${Gt} rows=${c} filtered=${s!==""} />`}
  `}function Gt({rows:t,filtered:e}){return t.length===0?u`<p class="empty">${e?"No thing matches the filter.":"No things yet: a device creates its shadow with its first update."}</p>`:u`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta and conflicts</caption>
    <thead><tr>
      <th scope="col">Thing</th><th scope="col">Presence</th><th scope="col">Site</th><th scope="col">Since</th>
      <th scope="col">Version</th><th scope="col">Delta</th><th scope="col">Conflicts</th>
      <th scope="col">Last report</th><th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${t.map(n=>u`<tr key=${n.thing} data-thing=${n.thing}>
          <th scope="row"><a href=${te(n.thing)}>${n.thing}</a></th>
          <td data-col="presence">${Me(n.connection)}</td>
          <td>${n.connection?.site??"\u2014"}</td>
          <td>${W(n.connection?.since)}</td>
          <td data-col="version">${n.version??"\u2014"}</td>
          <td data-col="delta">${n.deltaLeaves>0?u`<span class="badge warn">${n.deltaLeaves} pending</span>`:n.classic?u`<span class="badge ok">in sync</span>`:"\u2014"}</td>
          <td data-col="conflicts">${n.conflictLeaves>0?u`<span class="badge bad">${n.conflictLeaves}</span>`:"0"}</td>
          <td>${W(n.lastReport)}</td>
          <td>${n.shadows.length>0?n.shadows.join(", "):"\u2014"}</td>
        </tr>`)}
    </tbody>
  </table></div>`}function Me(t){return t?t.connected?u`<span class="badge ok" data-connected="true">connected</span>`:u`<span class="badge off" data-connected="false">offline</span>`:u`<span class="badge">never seen</span>`}function bt({name:t,password:e,onDone:n}){let[s,i]=h();w(()=>{E("/console/api/node").then(m=>i(m.mqtt)).catch(()=>i({}))},[]);let o=location.hostname.includes(":")?`[${location.hostname}]`:location.hostname,a=s?.mqtt??s?.mqtts??1883,c=s?.mqtt===void 0&&s?.mqtts!==void 0?" --cafile node-ca.pem":"",d=`mosquitto_pub -h ${o} -p ${a}${c} -i ${t} -u ${t} -P '${e}' -t '$umbra/things/${t}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;return u`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${t} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${Ne} label="User name" value=${t} />
    <${Ne} label="Password" value=${e} testid="new-password" />
    ${s?u`<${Ne} label="Try it with mosquitto_pub" value=${d} testid="mosquitto-line" />`:null}
    <button onClick=${n}>Done, I stored it</button>
  </section>`}function Ne({label:t,value:e,testid:n}){let[s,i]=h(!1);return u`<div class="copyable">
    <span class="label">${t}</span>
    <code data-testid=${n}>${e}</code>
    <button type="button" onClick=${async()=>{try{await navigator.clipboard.writeText(e),i(!0),setTimeout(()=>i(!1),1500)}catch{}}} aria-label=${`Copy ${t}`}>${s?"Copied":"Copy"}</button>
  </div>`}function $t({session:t}){let[e,n]=h(),[s,i]=h(),[o,a]=h(),[c,d]=h(),m=_e(t),l=()=>E("/identities").then(r=>n(r.identities)).catch(r=>i(r instanceof P?r.message:String(r)));w(()=>{l()},[]);let p=async r=>{r.preventDefault();let _=r.target,g=String(new FormData(_).get("name")??"").trim();i(void 0);try{let v=await E("/identities",{method:"POST",body:{name:g}});a(v),_.reset(),l()}catch(v){i(v instanceof P?v.message:String(v))}},f=async r=>{d(void 0);try{await E(`/identities/${T(r)}`,{method:"DELETE"}),o?.name===r&&a(void 0),l()}catch(_){i(_ instanceof P?_.message:String(_))}};return u`
    <h1>Identities</h1>
    ${m?u`<form class="card row" onSubmit=${p} aria-labelledby="add-title">
          <h2 id="add-title">Add a device</h2>
          <label>Thing name <input name="name" required pattern="[a-zA-Z0-9:_\\-]{1,128}" placeholder="pdu-12" /></label>
          <button type="submit" class="primary">Add device</button>
        </form>`:null}
    ${o?u`<${bt} name=${o.name} password=${o.password} onDone=${()=>a(void 0)} />`:null}
    ${s?u`<p class="error" role="alert">${s}</p>`:null}
    ${e?u`<div class="scroll" tabindex="0"><table data-testid="identities-table">
          <caption class="sr-only">Identities</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Things</th><th scope="col">Created</th><th scope="col">Status</th>${m?u`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
          <tbody>${e.map(r=>u`<tr key=${r.name} data-identity=${r.name}>
              <th scope="row">${r.name}</th><td>${r.role}</td><td><code>${r.things}</code></td><td>${Q(r.createdAt/1e3)}</td>
              <td>${r.revokedAt===null?u`<span class="badge ok">active</span>`:u`<span class="badge off">revoked ${Q(r.revokedAt/1e3)}</span>`}</td>
              ${m?u`<td>${r.role==="device"&&r.revokedAt===null?c===r.name?u`<span class="confirm">Revoke ${r.name}?
                            <button class="danger" onClick=${()=>f(r.name)}>Yes, revoke</button>
                            <button onClick=${()=>d(void 0)}>Cancel</button></span>`:u`<button onClick=${()=>d(r.name)} aria-label=${`Revoke ${r.name}`}>Revoke</button>`:null}</td>`:null}
            </tr>`)}</tbody>
        </table></div>`:u`<p>Loading identities…</p>`}
  `}var yt=2e3;function kt(t){let[e,n]=h(),[s,i]=h();return w(()=>{let o=!1,a,c=()=>E("/peers").then(d=>{o||(n(d),i(void 0))}).catch(d=>!o&&i(d instanceof P?d.message:String(d))).finally(()=>{o||(a=setTimeout(c,yt))});return c(),()=>{o=!0,clearTimeout(a)}},[]),u`
    <h1>Sites</h1>
    ${e?u`<p class="meta">This node is site <strong>${e.site}</strong>. Refreshed every ${yt/1e3} s.</p>`:null}
    ${s?u`<p class="error" role="alert">${s}</p>`:null}
    ${e?e.peers.length===0?u`<p class="empty">No relay peers: this node neither dials a parent nor has children connected (docs/relay.md).</p>`:u`<div class="scroll" tabindex="0"><table data-testid="peers-table">
            <caption class="sr-only">Relay peers</caption>
            <thead><tr>
              <th scope="col">Peer</th><th scope="col">Side</th><th scope="col">Link</th><th scope="col">Last contact</th>
              <th scope="col">Lag</th><th scope="col">Pending changes</th><th scope="col">Pending bytes</th>
              <th scope="col">Sent</th><th scope="col">Received</th><th scope="col">Retried frames</th><th scope="col">Denied</th>
            </tr></thead>
            <tbody>${e.peers.map(o=>u`<tr key=${o.peer}>
                <th scope="row">${o.peer}${o.site&&o.site!==o.peer?` (${o.site})`:""}</th>
                <td>${o.side}</td>
                <td>${o.connected?u`<span class="badge ok">connected</span>`:u`<span class="badge off">down</span>`}</td>
                <td>${o.lastContact===null?"never":W(o.lastContact/1e3)}</td>
                <td>${mt(o.lagMs)}</td>
                <td>${o.pendingChanges}</td>
                <td>${fe(o.pendingBytes)}</td>
                <td>${fe(o.bytesSent)} · ${o.changesSent} changes</td>
                <td>${fe(o.bytesReceived)} · ${o.changesReceived} changes</td>
                <td>${o.framesRetried}</td>
                <td>${o.denied}</td>
              </tr>`)}</tbody>
          </table></div>`:u`<p>Loading peers…</p>`}
  `}function wt({thing:t,shadow:e,doc:n}){let[s,i]=h(()=>ee(n?.state.desired??{})),[o,a]=h(n?.version),[c,d]=h(!1),[m,l]=h(!0),[p,f]=h();return w(()=>{c||(i(ee(n?.state.desired??{})),a(n?.version))},[n,c]),u`<form class="card editor" onSubmit=${async _=>{_.preventDefault();let g;try{g=JSON.parse(s)}catch($){f({kind:"error",text:`Not valid JSON: ${$.message}`});return}let v={state:{desired:g}};m&&o!==void 0&&(v.version=o);try{let $=await E(`/things/${T(t)}/shadow${e?`?name=${T(e)}`:""}`,{method:"POST",body:v});f({kind:"ok",text:`Accepted: version ${$.version}`}),d(!1)}catch($){$ instanceof P&&$.status===409?f({kind:"conflict",text:`Version conflict (409): you edited version ${o}, but the shadow is now at version ${n?.version??"?"}. Nothing was changed. Reload the current desired state and apply your edit again.`}):f({kind:"error",text:$ instanceof P?`${$.status}: ${$.message}`:String($)})}}} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${s}
      onInput=${_=>{i(_.target.value),d(!0)}}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${m} onChange=${_=>l(_.target.checked)} />
        Only if still at version ${o??"\u2014"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${c?u`<button type="button" onClick=${()=>{d(!1),f(void 0)}}>Reload current</button>`:null}
    </div>
    ${p?u`<p class=${p.kind==="ok"?"ok":"error"} role=${p.kind==="ok"?"status":"alert"} data-testid="save-status">${p.text}</p>`:null}
  </form>`}var J=720,A=200,x={left:56,right:12,top:10,bottom:24};function xt({points:t,from:e,to:n,label:s,onSelect:i}){let[o,a]=h();if(t.length===0)return u`<p class="empty">No samples in this range.</p>`;let c=t.map(g=>g[1]),d=Math.min(...c),m=Math.max(...c);d===m&&(d-=1,m+=1);let l=g=>x.left+(g-e)/(n-e)*(J-x.left-x.right),p=g=>x.top+(1-(g-d)/(m-d))*(A-x.top-x.bottom),f=t.map((g,v)=>`${v===0?"M":"L"}${l(g[0]).toFixed(1)},${p(g[1]).toFixed(1)}`).join(""),r=(g,v)=>{let $=v.getBoundingClientRect(),k=(g-$.left)/$.width*J;return e+(k-x.left)/(J-x.left-x.right)*(n-e)},_=t[t.length-1];return u`<figure class="chart">
    <svg viewBox=${`0 0 ${J} ${A}`} role="img" aria-label=${`${s}: ${t.length} points, last ${_[1]}`}
      onPointerDown=${g=>{let v=r(g.clientX,g.currentTarget);a({a:v,b:v})}}
      onPointerMove=${g=>o&&a({a:o.a,b:r(g.clientX,g.currentTarget)})}
      onPointerUp=${()=>{o&&Math.abs(o.b-o.a)>(n-e)/100&&i(Math.min(o.a,o.b),Math.max(o.a,o.b)),a(void 0)}}>
      <line x1=${x.left} y1=${A-x.bottom} x2=${J-x.right} y2=${A-x.bottom} class="axis" />
      <line x1=${x.left} y1=${x.top} x2=${x.left} y2=${A-x.bottom} class="axis" />
      <text x=${x.left-6} y=${x.top+10} text-anchor="end" class="tick">${St(m)}</text>
      <text x=${x.left-6} y=${A-x.bottom} text-anchor="end" class="tick">${St(d)}</text>
      <text x=${x.left} y=${A-6} class="tick">${new Date(e).toLocaleTimeString()}</text>
      <text x=${J-x.right} y=${A-6} text-anchor="end" class="tick">${new Date(n).toLocaleTimeString()}</text>
      <path d=${f} class="line" />
      ${o?u`<rect class="selection" x=${l(Math.min(o.a,o.b))} y=${x.top} width=${Math.abs(l(o.b)-l(o.a))} height=${A-x.top-x.bottom} />`:null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`}function St(t){return Math.abs(t)>=1e3||Number.isInteger(t)?String(Math.round(t)):t.toPrecision(4)}var Pt=[{label:"15 min",ms:15*6e4},{label:"1 h",ms:36e5},{label:"6 h",ms:6*36e5},{label:"24 h",ms:24*36e5},{label:"7 d",ms:168*36e5}];function Ct({thing:t}){let[e,n]=h(),[s,i]=h(),[o,a]=h(),[c,d]=h(()=>Et(Pt[1])),[m,l]=h();return w(()=>{E(`/things/${T(t)}/telemetry/latest`).then(p=>{let f=Object.keys(p.metrics).sort();n(f),a(r=>r??f[0])}).catch(p=>i(p instanceof P&&p.status===404?"Telemetry is not enabled on this node.":String(p.message)))},[t]),w(()=>{o&&E(`/things/${T(t)}/telemetry?metric=${T(o)}&from=${Math.floor(c.from)}&to=${Math.ceil(c.to)}`).then(p=>{let f=(p.series[0]?.points??[]).map(r=>Array.isArray(r)?[r[0],r[1]]:[r.ts,r.avg]);l({points:f,step:p.step})}).catch(()=>l({points:[],step:"?"}))},[t,o,c]),u`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${s?u`<p class="empty">${s}</p>`:null}
    ${e&&e.length===0?u`<p class="empty">No telemetry from this thing yet.</p>`:null}
    ${e&&e.length>0?u`<div class="row">
            <label>Metric
              <select value=${o} onChange=${p=>a(p.target.value)}>
                ${e.map(p=>u`<option value=${p}>${p}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${Pt.map(p=>u`<button type="button" aria-pressed=${c.label===p.label} onClick=${()=>d(Et(p))}>${p.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(c.from).toLocaleString()} – ${new Date(c.to).toLocaleString()}
            ${m?` \xB7 step ${m.step} \xB7 ${m.points.length} points`:""}</p>
          ${m?u`<${xt} points=${m.points} from=${c.from} to=${c.to} label=${`${o} over time`}
                onSelect=${(p,f)=>d({from:p,to:f,label:"custom"})} />`:u`<p>Loading…</p>`}`:null}
  </section>`}function Et(t){let e=Date.now();return{from:e-t.ms,to:e,label:t.label}}function Lt({route:t,session:e}){let n=t.args[0]??"",s=t.query.get("shadow")??"",[i,o]=h({kind:"loading"}),[a,c]=h([]),[d,m]=h(),l=s?`?name=${T(s)}`:"";return w(()=>{E(`/things/${T(n)}/shadows`).then(p=>c(p.results)).catch(()=>c([]))},[n]),w(()=>{o({kind:"loading"});let p=-1,f=_=>{_.version<p||(p=_.version,_.connection&&m(_.connection),o({kind:"ok",doc:_}))};E(`/things/${T(n)}/shadow${l}`).then(f).catch(_=>{_ instanceof P&&_.status===404?o(g=>g.kind==="ok"?g:{kind:"missing"}):o({kind:"error",message:_ instanceof P?_.message:String(_)})});let r=new EventSource(`/things/${T(n)}/shadow/events${l}`);return r.addEventListener("shadow",_=>f(JSON.parse(_.data))),r.addEventListener("deleted",_=>{p=JSON.parse(_.data).version,o({kind:"missing"})}),()=>r.close()},[n,s]),pe(p=>{p.type==="presence"&&p.data.thing===n&&m(p.data.connection)},[n]),u`
    <p class="crumbs"><a href="#/">Fleet</a> / ${n}</p>
    <h1>${n}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${Me(d)}
      ${d?u` at site <strong>${d.site}</strong> since ${Q(d.since)} (${W(d.since)})`:null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${te(n)} aria-current=${s===""?"page":void 0}>classic</a>
      ${a.map(p=>u`<a href=${te(n,p)} aria-current=${s===p?"page":void 0}>${p}</a>`)}
    </nav>
    ${Jt(i,n,s,_e(e))}
    <${Ct} thing=${n} />
  `}function Jt(t,e,n,s){if(t.kind==="loading")return u`<p>Loading shadow…</p>`;if(t.kind==="error")return u`<p class="error" role="alert">${t.message}</p>`;let i=t.kind==="ok"?t.doc:void 0;return u`
    ${i?u`<p class="meta" data-testid="version">Version <strong>${i.version}</strong></p>`:u`<p class="empty">This shadow does not exist yet.</p>`}
    ${i?u`<div class="panels">
          <${ne} title="Desired" value=${i.state.desired} id="desired" />
          <${ne} title="Reported" value=${i.state.reported} id="reported" />
          <${ne} title="Delta" value=${i.state.delta} id="delta" empty="In sync: nothing pending" />
          <${ne} title="Metadata" value=${i.metadata} id="metadata" />
          ${i.conflicts?u`<${ne} title="Conflicts" value=${i.conflicts} id="conflicts" />`:null}
        </div>`:null}
    ${s?u`<${wt} key=${`${e}/${n}`} thing=${e} shadow=${n} doc=${i} />`:null}
  `}function ne({title:t,value:e,id:n,empty:s}){return u`<section class="panel" aria-labelledby=${`h-${n}`} data-testid=${`panel-${n}`}>
    <h2 id=${`h-${n}`}>${t}</h2>
    ${e===void 0?u`<p class="empty">${s??"empty"}</p>`:u`<pre tabindex="0">${ee(e)}</pre>`}
  </section>`}var me=[{page:"",title:"Fleet",nav:!0,component:vt},{page:"things",title:"Thing",nav:!1,component:Lt},{page:"sites",title:"Sites",nav:!0,component:kt},{page:"identities",title:"Identities",nav:!0,component:$t}];function Tt(){let[t,e]=h({kind:"loading"}),n=()=>dt().then(s=>e({kind:"in",session:s})).catch(s=>e(s instanceof P&&s.status!==0?{kind:"signed-out"}:{kind:"unreachable"}));return w(()=>{lt(()=>{V.stop(),e({kind:"signed-out",reason:"Your session ended; sign in again."})}),n()},[]),w(()=>{t.kind==="in"&&V.start()},[t.kind]),t.kind==="loading"?u`<main class="centered"><p>Loading…</p></main>`:t.kind==="unreachable"?u`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${n}>Try again</button>
    </main>`:t.kind==="signed-out"?u`<${ft} reason=${t.reason} onSignedIn=${s=>e({kind:"in",session:s})} />`:u`<${zt}
    session=${t.session}
    onSignOut=${async()=>{V.stop(),await _t(),e({kind:"signed-out"})}}
  />`}function zt({session:t,onSignOut:e}){let n=gt(),s=ut(),i=me.find(o=>o.page===n.page)??me[0];return w(()=>{document.title=`${i.title} \xB7 Umbra`},[i]),u`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${me.filter(o=>o.nav).map(o=>u`<a href=${`#/${o.page}`} aria-current=${o===i||i.page==="things"&&o.page===""?"page":void 0}>${o.title}</a>`)}
      </nav>
      <span class="who">
        <span class=${`link ${s}`} data-link=${s}>${s==="live"?"\u25CF live":s==="lost"?"\u25CF offline":"\u25CF connecting"}</span>
        ${t.name} <span class="role">${t.role}</span>
        ${t.anonymous?null:u`<button class="quiet" onClick=${e}>Sign out</button>`}
      </span>
    </header>
    ${s==="lost"?u`<div class="banner error" role="alert" data-testid="node-lost">
            Lost contact with the node. Showing the last known state; retrying…
          </div>`:null}
    <main id="main">
      <${i.component} route=${n} session=${t} />
    </main>
  `}var Rt=document.getElementById("app");Rt&&xe(u`<${Tt} />`,Rt);
