var w,Oe,Dt,I,me,re,He,oe,qe,ge,he,Mt,X=Symbol.for("pv"),ie={},ae=[],Nt=/^m(i|n|o|s|text|space)$/,ve=Array.isArray,be=ae.slice,F=Object.assign;function U(t){t&&t.parentNode&&t.remove()}function $e(t,e,n){var s,i,o,a={},c=arguments.length;for(o in e)o=="key"?s=e[o]:o=="ref"&&typeof t!="function"?i=e[o]:a[o]=e[o];return c>2&&(a.children=c>3?be.call(arguments,2):n),J(t,a,s,i,null)}function J(t,e,n,s,i){var o={type:t,props:e,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:X,__v:i||++Oe,__i:-1,__u:0};return!i&&w.vnode&&w.vnode(o),o}function ce(t){return t.children}function z(t,e){this.props=t,this.context=e,this.__g=0}function O(t,e){if(e==null)return t.__&&O(t.__,t.__i+1);for(var n;e<t.__k.length;e++)if((n=t.__k[e])&&n.__e)return n.__e;return typeof t.type!="function"||t.props.__P?null:O(t)}function At(t){var e,n=t.__v,s=n.__e,i=[],o=[],a=t.__P;a&&((e=F({constructor:X},n)).__v=n.__v+1,w.vnode&&w.vnode(e),ye(a,e,n,t.__n,a.namespaceURI,32&n.__u?[s]:null,i,s||O(n),32&n.__u,o),e.__v=n.__v,e.__.__k[e.__i]=e,We(i,e,o),n.__=n.__e=null,e.__e!=s&&Ue(e))}function Ue(t){if((t=t.__)&&t.__c&&!t.props.__P)return t.__e=null,t.__k.some(function(e){return e&&(t.__e=e.__e)}),Ue(t)}function Ae(t){(8&t.__g||(t.__g|=8,I.push(t),re++))&&me==w.debounceRendering||((me=w.debounceRendering)||queueMicrotask)(Fe)}function Fe(){try{for(var t,e=1;I.length;)I.length>e&&I.sort(He),t=I.shift(),e=I.length,8&t.__g&&At(t)}finally{(re=I.length)&&(me||queueMicrotask)(Fe)}}function je(t,e,n,s,i,o,a,c,d,m,l){var _,f,r,p,$,v,h=s.__k||ae,g=e.length;for(d=It(n,e,h,d,g),_=0;_<g;_++)(r=n.__k[_])!=null&&(f=~r.__i&&h[r.__i]||ie,r.__i=_,v=ye(t,r,f,i,o,a,c,d,m,l),p=r.__e,(f.ref!=r.ref||8&f.__u)&&(f.ref&&ke(f.ref,null,r,f),r.ref&&l.push(r.ref,r.__c||p,r)),$=$||p,4&r.__u?(d=Be(r,d,t,!f.__v),f.__e&&(f.__e=null)):typeof r.type=="function"&&v!==void 0?d=v:p&&(d=p.nextSibling),r.__u&=-21);return n.__e=$,d}function It(t,e,n,s,i){var o,a,c,d,m,l,_,f,r,p=n.length,$=p,v=0,h=0,g=t.__k=Array(i);for(o=0;o<i;o++)(a=e[o])!=null&&typeof a!="boolean"&&typeof a!="function"?(typeof a!="object"||a.constructor===String?a=g[o]=J(null,a):ve(a)?a=g[o]=J(ce,{children:a}):a.constructor===X&&a.__b?a=g[o]=J(a.type,a.props,a.key,a.ref,a.__v):g[o]=a,d=o+v,a.__=t,a.__b=t.__b+1,c=null,~(m=a.__i=Ot(a,n,d,$))&&($--,(c=n[m])&&(c.__u|=2)),c&&c.__v?(a.__u|=16,m==d-1?v--:m==d+1?v++:m!=d&&(m>d?v--:v++,h=1)):(~m||(i>p?v--:i<p&&v++),typeof a.type!="function"&&(a.__u|=4))):g[o]=null;if(h){for(l=[],_=[],o=0;o<i;o++)if((a=g[o])&&16&a.__u){for(v=0,f=l.length;v<f;)l[r=v+f>>1]<a.__i?v=r+1:f=r;l[v]=a.__i,_[o]=v+1}for(v=l.length;o--;)_[o]&&(_[o]==v?v--:g[o].__u|=4)}if($)for(o=0;o<p;o++)!(c=n[o])||2&c.__u||(c.__e==s&&(s=O(c)),we(c,c));return s}function Be(t,e,n,s){var i,o,a,c;if(typeof t.type=="function"){if(t.props.__P)return e;if(i=t.__k)for(o=0;o<i.length;o++)i[o]&&(i[o].__=t,e=Be(i[o],e,n,!1));return e}for(e&&!e.parentNode&&(e=O(t))&&!e.parentNode&&(e=null),a=t.__e,c=e;c&&c.nodeType==8;)c=c.nextSibling;for(a!=c&&(!s&&n.moveBefore&&a.parentNode?n.moveBefore(a,e):n.insertBefore(a,e||null)),e=a;(e=e&&e.nextSibling)&&e.nodeType==8&&!e.data.startsWith("$s"););return e}function Ot(t,e,n,s){var i,o=t.key,a=t.type,c=e[n],d=c&&!(2&c.__u);if(c===null&&o==null||d&&o==c.key&&a==c.type)return n;if(s>(d?1:0)){for(i=n-1;i>=0;i--)if((c=e[i])&&!(2&c.__u)&&o==c.key&&a==c.type)return i;for(i=n+1;i<e.length;i++)if((c=e[i])&&!(2&c.__u)&&o==c.key&&a==c.type)return i}return-1}function Ie(t,e,n){n==null&&(n=""),e[0]=="-"?t.setProperty(e,n):t[e]=n}function ne(t,e,n,s,i){var o,a;if(e=="style")if(typeof n=="string")t.style.cssText=n;else{if(typeof s=="string"&&(t.style.cssText=s=""),s)for(e in s)n&&e in n||Ie(t.style,e);if(n)for(e in n)s&&n[e]==s[e]||Ie(t.style,e,n[e])}else if(e[0]=="o"&&e[1]=="n")typeof n!="function"&&(n=null),typeof s!="function"&&(s=null),(t.__e||(t.__e={}))[e]=n,n&&s||(a=he[e]||(he[e]=Ht(e)),(t.__a||(t.__a={}))[e]=ge,o=e!=(e=e.replace(qe,"$1")),(e=e.slice(2))[0]<"a"&&(e=e.toLowerCase()),n?t.addEventListener(e,a,o):t.removeEventListener(e,a,o));else{if(i=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in t)try{return void(t[e]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&e[4]!="-"?t.removeAttribute(e):t.setAttribute(e,e=="popover"&&n==1?"":n)}}function Ht(t){return function(e){var n=this.__e;if(n){if(n=n[t],e[oe]==null)e[oe]=ge++;else if(e[oe]<this.__a[t])return;return n(w.event?w.event(e):e)}}}function ye(t,e,n,s,i,o,a,c,d,m){var l,_,f,r,p,$,v,h,g,P,y,N,G,V,H,Ne,A,q,D=e.type;if(e.constructor!==X)return null;128&n.__u&&(d=32&n.__u,l=n.__c.__z)&&(e.__u|=d,_=o=[],l.nodeType==8?c=se(l,o):o.push(l),c=o[0]||c),(l=w.__b)&&l(e);e:if(typeof D=="function"){f=a.length;try{if(h=e.props,g=(l=D.prototype)&&l.render,P=(l=D.contextType)&&s[l.__c],y=l?P?P.props.value:l.__:s,(r=n.__c)?(e.__c=r,2&r.__g&&(r.__g|=1)):(g?e.__c=r=new D(h,y):(e.__c=r=new z(h,y),r.constructor=D,r.render=Ut),P&&P.sub(r),r.state||(r.state={}),r.__n=s,r.__g|=8,r.__h=[],r.__k=[]),g&&(r.__s||(r.__s=r.state),D.getDerivedStateFromProps&&(r.__s==r.state&&(r.__s=F({},r.__s)),F(r.__s,D.getDerivedStateFromProps(h,r.__s)))),p=r.props,$=r.state,r.__v=e,n.__c){if(h!==p&&g&&!D.getDerivedStateFromProps&&r.componentWillReceiveProps&&r.componentWillReceiveProps(h,y),e.__v==n.__v&&!(8&r.__g)||!(4&r.__g)&&r.shouldComponentUpdate&&r.shouldComponentUpdate(h,r.__s,y)===!1){e.__v!=n.__v&&(r.props=h,r.state=r.__s,r.__g&=-9),e.__e=n.__e,e.__k=n.__k,e.__k.some(function(R){R&&(R.__=e)}),ae.push.apply(r.__h,r.__k),r.__k=[],r.__h.length&&a.push(r),c=O(n);break e}r.componentWillUpdate&&r.componentWillUpdate(h,r.__s,y),g&&r.componentDidUpdate&&r.__h.push(function(){r.componentDidUpdate(p,$,v)})}else g&&!D.getDerivedStateFromProps&&r.componentWillMount&&r.componentWillMount(),g&&r.componentDidMount&&r.__h.push(r.componentDidMount);r.context=y,r.props=h,r.__P=t,r.__g&=-5,N=w.__r,G=g?25:0;do r.__g&=-9,N&&N(e),l=r.render(r.props,r.state=r.__s,r.context);while(8&r.__g&&++G<25);g&&(ae.push.apply(r.__h,r.__k),r.__k=[]),r.state=r.__s,r.getChildContext&&(s=F({},s,r.getChildContext())),g&&n.__c&&r.getSnapshotBeforeUpdate&&(v=r.getSnapshotBeforeUpdate(p,$)),V=l&&l.type===ce&&l.key==null?l.props.children:l,h.__P&&(l=c,i=(t=h.__P).namespaceURI,d=o=null,n.props&&n.props.__P!=t&&(n.__k.some(function(R){R&&we(R,R)}),n.__k=null),c=n.__k?O(n,0):null),c=je(t,ve(V)?V:[V],e,n,s,i,o,a,c,d,m),h.__P&&(e.__e=null,c=l),e.__u&=-161,_&&_.some(U),r.__h.length&&a.push(r),1&r.__g&&(r.__g&=-4)}catch(R){if(a.length=f,e.__v=null,d||o)if(R&&R.then){if(e.__u|=128|d,o){for(~(A=o.indexOf(c||void 0))||(A=o.length);(q=o[A-1])&&q.nodeType==8;)A--;for(;A<o.length;A++)if(q=o[A])if(o[A]=null,H){if(q==Ne)break}else{if(q.nodeType!=8)break;q.data.startsWith("$s")&&(Ne=se(H=q))}}if(!H){for(;c&&c.nodeType==8&&c.nextSibling;)c=c.nextSibling;H=c}(l=se(H=e.__c.__z||(e.__c.__z=H)))?(e.__e=H,c=l):e.__e=c,c=c&&c.nextSibling}else o&&o.some(U);else e.__e=n.__e;e.__k||(e.__k=n.__k||[]),R&&R.then||Ve(e),w.__e(R,e,n)}}else c=e.__e=qt(n.__e,e,n,s,i,o,a,d,m,t);return(l=w.diffed)&&l(e),c}function se(t,e){if(t&&t.nodeType==8&&t.data.startsWith("$s"))for(var n=1;t=t.nextSibling;){if(t.nodeType==8){if(t.data.startsWith("$s"))n++;else if(t.data.startsWith("/$s")&&!--n)return t}e&&e.push(t)}}function Ve(t){t&&(t.__c&&(t.__c.__g|=4),t.__k&&t.__k.some(Ve))}function We(t,e,n){for(var s=0;s<n.length;)ke(n[s++],n[s++],n[s++]);w.__c&&w.__c(e,t),t.some(function(i){try{t=i.__h,i.__h=[],t.some(function(o){o.call(i)})}catch(o){w.__e(o,i.__v)}})}function qt(t,e,n,s,i,o,a,c,d,m){var l,_,f,r,p,$,v,h,g=n.props||ie,P=e.props,y=e.type;if(y=="svg"?i="http://www.w3.org/2000/svg":y=="math"?i="http://www.w3.org/1998/Math/MathML":i||(i="http://www.w3.org/1999/xhtml"),o){for(l=0;l<o.length;l++)if((p=o[l])&&(y?p.localName==y:p.nodeType==3)){t=p,o[l]=null;break}}if(!t){if(h=m.ownerDocument||document,!y)return h.createTextNode(P);t=h.createElementNS(i,y,P.is?P:m),c&&(w.__m&&w.__m(e,o),c=!1),o=null}if(y){if(m=y=="template"&&t.content||t,o=y=="textarea"&&P.defaultValue!=null?null:o&&be.call(m.childNodes),!c&&o)for(g={},l=0;l<t.attributes.length;l++)g[(p=t.attributes[l]).name]=p.value;for(l in g)p=g[l],l=="dangerouslySetInnerHTML"?f=p:l=="children"||l in P||l=="value"&&"defaultValue"in P||l=="checked"&&"defaultChecked"in P||ne(t,l,null,p,i);for(l in P)p=P[l],l=="children"?r=p:l=="dangerouslySetInnerHTML"?_=p:l=="value"?$=p:l=="checked"?v=p:c&&typeof p!="function"||g[l]===p||ne(t,l,p,g[l],i);_?(c||f&&(_.__html==f.__html||_.__html==t.innerHTML)||(t.innerHTML=_.__html),e.__k=[]):(f&&(t.textContent=""),(y=="foreignObject"||i=="http://www.w3.org/1998/Math/MathML"&&Nt.test(y))&&(i="http://www.w3.org/1999/xhtml"),je(m,ve(r)?r:[r],e,n,s,i,o,a,o?o[0]:n.__k&&O(n,0),c,d),o&&o.some(U)),c&&y!="textarea"||(l="value",y=="progress"&&$==null?t.removeAttribute(l):$==null||$===t[l]&&(y!="progress"||$)||ne(t,l,$,g[l],i),l="checked",v!=null&&v!=t[l]&&ne(t,l,v,g[l],i))}else g===P||c&&t.data==P||(t.data=P);return t}function ke(t,e,n,s){try{typeof t=="function"?e?e.__x=t(e)||1:s&&(s=s.__c||s.__e)&&(e=s.__x)&&(s.__x=null,typeof e=="function"?e():t(null)):t.current=e}catch(i){w.__e(i,n)}}function we(t,e,n){var s,i,o,a;if(w.unmount&&w.unmount(t),!(s=t.ref)||s.current&&s.current!=t.__e||ke(s,null,e,t),s=t.__c){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(c){w.__e(c,e)}s.__P=s.__n=null}if(s=t.__k)for(a=0;a<s.length;a++)s[a]&&we(s[a],e,typeof t.type!="function"||n&&!t.props.__P);!n&&(s=t.__c)&&(s=s.__z)&&(i=se(s,o=[]))&&(s==t.__e&&o.some(U),U(i),U(s)),n||U(t.__e),t.__e=t.__c=t.__=null}function Ut(t,e,n){return this.constructor(t,n)}function Se(t,e){var n,s,i,o;w.__&&w.__(t,e),e.nodeType==9&&(e=e.documentElement),s=(n=t&&32&t.__u)?null:e.__k,e.__k=J(ce,{children:[t]}),i=[],o=[],ye(e,e.__k,s||ie,ie,e.namespaceURI,s?null:e.firstChild?be.call(e.childNodes):null,i,s?s.__e:e.firstChild,n,o),We(i,e.__k,o),e.__k.props.children=null}w={__e:function(t,e,n,s){for(var i,o,a;e=e.__;)if((i=e.__c)&&!(1&i.__g)){i.__g|=4;try{if((a=(o=i.constructor)&&o.getDerivedStateFromError)&&i.setState(o.getDerivedStateFromError(t)),i.componentDidCatch&&(i.componentDidCatch(t,s||{}),a=1),a&&8&i.__g)return void(i.__g|=2)}catch(c){t=c}}throw re=0,t}},Oe=0,Dt=function(t){return t!=null&&t.constructor===X},z.prototype.setState=function(t,e){var n=this.__s;n&&n!=this.state||(n=this.__s=F({},this.state)),typeof t=="function"&&(t=t(F({},n),this.props)),t&&(F(n,t),this.__v&&(e&&this.__k.push(e),Ae(this)))},z.prototype.forceUpdate=function(t){this.__v&&(this.__g|=4,t&&this.__h.push(t),Ae(this))},z.prototype.render=ce,I=[],re=0,He=function(t,e){return t.__v.__b-e.__v.__b},oe=Symbol(),qe=/(PointerCapture)$|Capture$/i,ge=0,he={},Mt=0;var Je=function(t,e,n,s){var i;e[0]=0;for(var o=1;o<e.length;o++){var a=e[o++],c=e[o]?(e[0]|=a?1:2,n[e[o++]]):e[++o];a===3?s[0]=c:a===4?s[1]=Object.assign(s[1]||{},c):a===5?(s[1]=s[1]||{})[e[++o]]=c:a===6?s[1][e[++o]]+=c+"":a?(i=t.apply(c,Je(t,c,n,["",null])),s.push(i),c[0]?e[0]|=2:(e[o-2]=0,e[o]=i)):s.push(c)}return s},Ge=new Map;function ze(t){var e=Ge.get(this);return e||(e=new Map,Ge.set(this,e)),(e=Je(this,e.get(t)||(e.set(t,e=(function(n){for(var s,i,o=1,a="",c="",d=[0],m=function(f){o===1&&(f||(a=a.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?d.push(0,f,a):o===3&&(f||a)?(d.push(3,f,a),o=2):o===2&&a==="..."&&f?d.push(4,f,0):o===2&&a&&!f?d.push(5,0,!0,a):o>=5&&((a||!f&&o===5)&&(d.push(o,0,a,i),o=6),f&&(d.push(o,f,0,i),o=6)),a=""},l=0;l<n.length;l++){l&&(o===1&&m(),m(l));for(var _=0;_<n[l].length;_++)s=n[l][_],o===1?s==="<"?(m(),d=[d],o=3):a+=s:o===4?a==="--"&&s===">"?(o=1,a=""):a=s+a[0]:c?s===c?c="":a+=s:s==='"'||s==="'"?c=s:s===">"?(m(),o=1):o&&(s==="="?(o=5,i=a,a=""):s==="/"&&(o<5||n[l][_+1]===">")?(m(),o===3&&(d=d[0]),o=d,(d=d[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(m(),o=2):a+=s),o===3&&a==="!--"&&(o=4,d=d[0])}return m(),d})(t)),e),arguments,[])).length>1?e:e[0]}var u=ze.bind($e);var Y,L,xe,Xe,Pe=Object.is,le=0,st=[],Ee=[],C=w,Ke=C.__b,Ye=C.__r,Ze=C.diffed,Qe=C.__c,et=C.unmount,tt=C.__;function Le(t,e){C.__h&&C.__h(L,t,le||e),le=0;var n=L.__H||(L.__H={__:[],__h:[]});return t>=n.__.length&&n.__.push({}),n.__[t]}function b(t){return le=1,Ft(at,t)}function Ft(t,e,n){var s=Le(Y++,2);if(s.t=t,!s.__c&&(s.__=[n?n(e):at(void 0,e),function(o){var a=(s.__N||s.__)[0],c=s.t(a,o);Pe(a,c)||(s.__N=[c,s.__[1]],s.__c.setState({}))}],s.__c=L,!L.__f)){L.__f=!0;var i=L.shouldComponentUpdate;L.shouldComponentUpdate=function(o,a,c){var d=this.__H;if(!d)return!0;var m=!1,l=this.props!=o;if(d.__.some(function(f){f.__N&&(m=!0,Pe(f.__[0],f.__N[0])||(l=!0))}),i){var _=i.call(this,o,a,c);return m?_||l:_}return!m||l}}return s.__}function k(t,e){var n=Le(Y++,3);!C.__s&&it(n.__H,e)&&(n.__P=!0,n.__=t,n.u=e,L.__H.__h.push(n))}function rt(t){return le=5,jt(function(){return{current:t}},[])}function jt(t,e){var n=Le(Y++,7);return it(n.__H,e)&&(n.__=t(),n.__H=e),n.__}function Bt(){var t;do{for(;t=Ee.shift();)try{K(t)}catch(n){C.__e(n,{__:(t=t.__P)&&t.__v})}for(;t=st.shift();){var e=t.__H;if(t.__P&&e)try{e.__h.some(K),e.__h.some(Ce),e.__h=[]}catch(n){e.__h=[],C.__e(n,t.__v)}}}while(Ee.length)}C.__b=function(t){L=null,Ke&&Ke(t)},C.__=function(t,e){t&&e.__k&&e.__k.__m&&(t.__m=e.__k.__m),tt&&tt(t,e)},C.__r=function(t){Ye&&Ye(t),Y=0;var e=(L=t.__c).__H;e&&(xe==L?L.__h=[]:(e.__h.some(K),e.__h.some(Ce),Y=0),e.__h=[],e.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),xe=L},C.diffed=function(t){Ze&&Ze(t);var e=t.__c;e&&e.__H&&(e.__H.__h.length&&ot(st.push(e)),e.__H.__.some(function(n){n.u&&(n.__H=n.u)})),xe=L=null},C.__c=function(t,e){e.some(function(n){try{n.__h.some(K),n.__h=n.__h.filter(function(s){return!s.__||Ce(s)})}catch(s){n.__h=[function(){throw s}]}}),Qe&&Qe(t,e)},C.unmount=function(t){et&&et(t);var e,n,s=t.__c;s&&s.__H&&(s.__H.__.some(function(i){try{if(i.__P&&i.__c){if(n===void 0){for(n=t.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}i.__P=n,ot(Ee.push(i))}else K(i)}catch(o){e=o}}),s.__H=void 0,e&&C.__e(e,s.__v))};var nt=typeof requestAnimationFrame=="function";function Vt(t){var e,n=function(){clearTimeout(s),nt&&cancelAnimationFrame(e),setTimeout(t)},s=setTimeout(n,35);nt&&(e=requestAnimationFrame(n))}function ot(t){t!=1&&Xe==C.requestAnimationFrame||((Xe=C.requestAnimationFrame)||Vt)(Bt)}function K(t){var e=L,n=t.__c;typeof n=="function"&&(t.__c=void 0,n()),L=e}function Ce(t){var e=L;t.__c=t.__(),L=e}function it(t,e){return!t||t.length!=e.length||e.some(function(n,s){return!Pe(n,t[s])})}function at(t,e){return typeof e=="function"?e(t):e}var x=class extends Error{constructor(n,s,i){super(s);this.status=n;this.body=i}status;body},Te,ct=()=>{};function ue(t){Te=t}function lt(t){ct=t}async function E(t,e={}){let n=e.method??"GET",s={accept:"application/json",...e.headers};e.body!==void 0&&(s["content-type"]="application/json"),n!=="GET"&&Te&&(s["x-umbra-csrf"]=Te);let i;try{i=await fetch(t,{method:n,headers:s,credentials:"same-origin",body:e.body===void 0?void 0:JSON.stringify(e.body)})}catch{throw new x(0,"The node is unreachable")}let o=await i.text(),a;try{a=o?JSON.parse(o):void 0}catch{a=void 0}if(!i.ok){i.status===401&&!e.quiet401&&ct();let c=a?.message??`${i.status} ${i.statusText}`;throw new x(i.status,c,a)}return a}var T=encodeURIComponent;var Re=class{source;listeners=new Set;statusListeners=new Set;status="connecting";everLive=!1;start(){if(this.source)return;let e=new EventSource("/console/api/events");this.source=e,e.addEventListener("hello",()=>{this.everLive&&this.emit({type:"reconnected"}),this.everLive=!0,this.setStatus("live")}),e.addEventListener("shadow",n=>this.emit({type:"shadow",data:JSON.parse(n.data)})),e.addEventListener("presence",n=>this.emit({type:"presence",data:JSON.parse(n.data)})),e.onerror=()=>{this.setStatus("lost"),e.readyState===EventSource.CLOSED&&(this.source=void 0,setTimeout(()=>this.start(),2e3))}}stop(){this.source?.close(),this.source=void 0,this.everLive=!1,this.setStatus("connecting")}subscribe(e){return this.listeners.add(e),()=>this.listeners.delete(e)}onStatus(e){return this.statusListeners.add(e),()=>this.statusListeners.delete(e)}emit(e){for(let n of this.listeners)n(e)}setStatus(e){if(e!==this.status){this.status=e;for(let n of this.statusListeners)n(e)}}},j=new Re;function de(t,e=[]){k(()=>j.subscribe(t),e)}function ut(){let[t,e]=b(j.status);return k(()=>j.onStatus(e),[]),t}function _e(t){return t.role==="operator"||t.role==="anonymous"}async function dt(){let t=await E("/session",{quiet401:!0});return ue(t.csrf),t}async function _t(t){let e=await E("/session",{method:"POST",body:t,headers:{"x-umbra-console":"1"},quiet401:!0});return ue(e.csrf),e}async function pt(){await E("/session",{method:"DELETE"}).catch(()=>{}),ue(void 0)}function ft({reason:t,onSignedIn:e}){let[n,s]=b("password"),[i,o]=b(t),[a,c]=b(!1);return u`<main class="centered">
    <form class="card signin" onSubmit=${async m=>{m.preventDefault();let l=new FormData(m.target);c(!0),o(void 0);try{let _=await _t(n==="token"?{token:String(l.get("token")??"")}:{username:String(l.get("username")??""),password:String(l.get("password")??"")});e(_)}catch(_){o(_ instanceof x?_.message:String(_))}finally{c(!1)}}} aria-labelledby="signin-title">
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
  </main>`}function Z(t){return t===void 0?"\u2014":new Date(t*1e3).toLocaleString()}function B(t,e=Date.now()){if(t===void 0)return"\u2014";let n=Math.max(0,Math.round(e/1e3-t));return n<60?`${n} s ago`:n<3600?`${Math.floor(n/60)} min ago`:n<86400?`${Math.floor(n/3600)} h ago`:`${Math.floor(n/86400)} d ago`}function pe(t){return t<1024?`${t} B`:t<1024*1024?`${(t/1024).toFixed(1)} KiB`:`${(t/1024/1024).toFixed(1)} MiB`}function mt(t){return t<1e3?`${t} ms`:t<6e4?`${(t/1e3).toFixed(1)} s`:`${Math.floor(t/6e4)} min ${Math.round(t%6e4/1e3)} s`}function Q(t){return t===void 0?"":JSON.stringify(t,null,2)}function ht(t){let e=t.replace(/^#\/?/,""),[n="",s=""]=e.split("?"),[i="",...o]=n.split("/").map(a=>decodeURIComponent(a));return{page:i,args:o,query:new URLSearchParams(s)}}function gt(){let[t,e]=b(()=>ht(location.hash));return k(()=>{let n=()=>e(ht(location.hash));return addEventListener("hashchange",n),()=>removeEventListener("hashchange",n)},[]),t}function ee(t,e){return`#/things/${encodeURIComponent(t)}${e?`?shadow=${encodeURIComponent(e)}`:""}`}var Wt=50;function vt(t){let[e,n]=b(""),[s,i]=b(""),[o,a]=b([""]),[c,d]=b(),[m,l]=b(),[_,f]=b(),[r,p]=b(0),$=o[o.length-1]??"";k(()=>{let h=setTimeout(()=>{i(e.trim()),a([""])},200);return()=>clearTimeout(h)},[e]),k(()=>{let h=!1;return E(`/console/api/things?limit=${Wt}&cursor=${T($)}&filter=${T(s)}`).then(g=>{h||(d(g.things),l(g.nextCursor),f(void 0))}).catch(g=>!h&&f(g instanceof x?g.message:String(g))),()=>{h=!0}},[$,s,r]);let v=rt(!0);return k(()=>{c&&v.current&&(v.current=!1,performance.mark("umbra:fleet-rendered"))},[c]),de(h=>{if(h.type==="reconnected")return p(g=>g+1);d(g=>{if(!g)return g;let P=g.findIndex(V=>V.thing===h.data.thing);if(P<0)return g;let y=g[P],N;if(h.type==="presence")N={...y,connection:h.data.connection};else{if(h.data.shadow!=="")return g;h.data.deleted?N={...y,classic:!1,version:void 0,deltaLeaves:0,conflictLeaves:0}:N={...y,classic:!0,version:h.data.version,deltaLeaves:h.data.deltaLeaves??0,conflictLeaves:h.data.conflictLeaves??0,lastReport:h.data.lastReport??y.lastReport}}let G=g.slice();return G[P]=N,G})}),u`
    <h1>Fleet</h1>
    <div class="toolbar">
      <label class="filter">Filter by name
        <input type="search" value=${e} placeholder="e.g. pdu-" onInput=${h=>n(h.target.value)} />
      </label>
      <span class="pager">
        <button disabled=${o.length<2} onClick=${()=>a(o.slice(0,-1))}>← Previous</button>
        <span aria-live="polite">Page ${o.length}</span>
        <button disabled=${m===void 0} onClick=${()=>m!==void 0&&a([...o,m])}>Next →</button>
      </span>
    </div>
    ${_?u`<p class="error" role="alert">${_}</p>`:null}
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
          <th scope="row"><a href=${ee(n.thing)}>${n.thing}</a></th>
          <td data-col="presence">${De(n.connection)}</td>
          <td>${n.connection?.site??"\u2014"}</td>
          <td>${B(n.connection?.since)}</td>
          <td data-col="version">${n.version??"\u2014"}</td>
          <td data-col="delta">${n.deltaLeaves>0?u`<span class="badge warn">${n.deltaLeaves} pending</span>`:n.classic?u`<span class="badge ok">in sync</span>`:"\u2014"}</td>
          <td data-col="conflicts">${n.conflictLeaves>0?u`<span class="badge bad">${n.conflictLeaves}</span>`:"0"}</td>
          <td>${B(n.lastReport)}</td>
          <td>${n.shadows.length>0?n.shadows.join(", "):"\u2014"}</td>
        </tr>`)}
    </tbody>
  </table></div>`}function De(t){return t?t.connected?u`<span class="badge ok" data-connected="true">connected</span>`:u`<span class="badge off" data-connected="false">offline</span>`:u`<span class="badge">never seen</span>`}function bt({name:t,password:e,onDone:n}){let[s,i]=b({});k(()=>{E("/console/api/node").then(m=>i(m.mqtt)).catch(()=>{})},[]);let o=location.hostname.includes(":")?`[${location.hostname}]`:location.hostname,a=s.mqtt??s.mqtts??1883,c=s.mqtt===void 0&&s.mqtts!==void 0?" --cafile node-ca.pem":"",d=`mosquitto_pub -h ${o} -p ${a}${c} -i ${t} -u ${t} -P '${e}' -t '$umbra/things/${t}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;return u`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${t} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${Me} label="User name" value=${t} />
    <${Me} label="Password" value=${e} testid="new-password" />
    <${Me} label="Try it with mosquitto_pub" value=${d} testid="mosquitto-line" />
    <button onClick=${n}>Done, I stored it</button>
  </section>`}function Me({label:t,value:e,testid:n}){let[s,i]=b(!1);return u`<div class="copyable">
    <span class="label">${t}</span>
    <code data-testid=${n}>${e}</code>
    <button type="button" onClick=${async()=>{try{await navigator.clipboard.writeText(e),i(!0),setTimeout(()=>i(!1),1500)}catch{}}} aria-label=${`Copy ${t}`}>${s?"Copied":"Copy"}</button>
  </div>`}function $t({session:t}){let[e,n]=b(),[s,i]=b(),[o,a]=b(),[c,d]=b(),m=_e(t),l=()=>E("/identities").then(r=>n(r.identities)).catch(r=>i(r instanceof x?r.message:String(r)));k(()=>{l()},[]);let _=async r=>{r.preventDefault();let p=r.target,$=String(new FormData(p).get("name")??"").trim();i(void 0);try{let v=await E("/identities",{method:"POST",body:{name:$}});a(v),p.reset(),l()}catch(v){i(v instanceof x?v.message:String(v))}},f=async r=>{d(void 0);try{await E(`/identities/${T(r)}`,{method:"DELETE"}),o?.name===r&&a(void 0),l()}catch(p){i(p instanceof x?p.message:String(p))}};return u`
    <h1>Identities</h1>
    ${m?u`<form class="card row" onSubmit=${_} aria-labelledby="add-title">
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
              <th scope="row">${r.name}</th><td>${r.role}</td><td><code>${r.things}</code></td><td>${Z(r.createdAt/1e3)}</td>
              <td>${r.revokedAt===null?u`<span class="badge ok">active</span>`:u`<span class="badge off">revoked ${Z(r.revokedAt/1e3)}</span>`}</td>
              ${m?u`<td>${r.role==="device"&&r.revokedAt===null?c===r.name?u`<span class="confirm">Revoke ${r.name}?
                            <button class="danger" onClick=${()=>f(r.name)}>Yes, revoke</button>
                            <button onClick=${()=>d(void 0)}>Cancel</button></span>`:u`<button onClick=${()=>d(r.name)} aria-label=${`Revoke ${r.name}`}>Revoke</button>`:null}</td>`:null}
            </tr>`)}</tbody>
        </table></div>`:u`<p>Loading identities…</p>`}
  `}var yt=2e3;function kt(t){let[e,n]=b(),[s,i]=b();return k(()=>{let o=!1,a,c=()=>E("/peers").then(d=>{o||(n(d),i(void 0))}).catch(d=>!o&&i(d instanceof x?d.message:String(d))).finally(()=>{o||(a=setTimeout(c,yt))});return c(),()=>{o=!0,clearTimeout(a)}},[]),u`
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
                <td>${o.lastContact===null?"never":B(o.lastContact/1e3)}</td>
                <td>${mt(o.lagMs)}</td>
                <td>${o.pendingChanges}</td>
                <td>${pe(o.pendingBytes)}</td>
                <td>${pe(o.bytesSent)} · ${o.changesSent} changes</td>
                <td>${pe(o.bytesReceived)} · ${o.changesReceived} changes</td>
                <td>${o.framesRetried}</td>
                <td>${o.denied}</td>
              </tr>`)}</tbody>
          </table></div>`:u`<p>Loading peers…</p>`}
  `}function wt({thing:t,shadow:e,doc:n}){let[s,i]=b(()=>Q(n?.state.desired??{})),[o,a]=b(n?.version),[c,d]=b(!1),[m,l]=b(!0),[_,f]=b();return k(()=>{c||(i(Q(n?.state.desired??{})),a(n?.version))},[n,c]),u`<form class="card editor" onSubmit=${async p=>{p.preventDefault();let $;try{$=JSON.parse(s)}catch(h){f({kind:"error",text:`Not valid JSON: ${h.message}`});return}let v={state:{desired:$}};m&&o!==void 0&&(v.version=o);try{let h=await E(`/things/${T(t)}/shadow${e?`?name=${T(e)}`:""}`,{method:"POST",body:v});f({kind:"ok",text:`Accepted: version ${h.version}`}),d(!1)}catch(h){h instanceof x&&h.status===409?f({kind:"conflict",text:`Version conflict (409): you edited version ${o}, but the shadow is now at version ${n?.version??"?"}. Nothing was changed. Reload the current desired state and apply your edit again.`}):f({kind:"error",text:h instanceof x?`${h.status}: ${h.message}`:String(h)})}}} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${s}
      onInput=${p=>{i(p.target.value),d(!0)}}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${m} onChange=${p=>l(p.target.checked)} />
        Only if still at version ${o??"\u2014"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${c?u`<button type="button" onClick=${()=>{d(!1),f(void 0)}}>Reload current</button>`:null}
    </div>
    ${_?u`<p class=${_.kind==="ok"?"ok":"error"} role=${_.kind==="ok"?"status":"alert"} data-testid="save-status">${_.text}</p>`:null}
  </form>`}var W=720,M=200,S={left:56,right:12,top:10,bottom:24};function xt({points:t,from:e,to:n,label:s,onSelect:i}){let[o,a]=b();if(t.length===0)return u`<p class="empty">No samples in this range.</p>`;let c=t.map($=>$[1]),d=Math.min(...c),m=Math.max(...c);d===m&&(d-=1,m+=1);let l=$=>S.left+($-e)/(n-e)*(W-S.left-S.right),_=$=>S.top+(1-($-d)/(m-d))*(M-S.top-S.bottom),f=t.map(($,v)=>`${v===0?"M":"L"}${l($[0]).toFixed(1)},${_($[1]).toFixed(1)}`).join(""),r=($,v)=>{let h=v.getBoundingClientRect(),g=($-h.left)/h.width*W;return e+(g-S.left)/(W-S.left-S.right)*(n-e)},p=t[t.length-1];return u`<figure class="chart">
    <svg viewBox=${`0 0 ${W} ${M}`} role="img" aria-label=${`${s}: ${t.length} points, last ${p[1]}`}
      onPointerDown=${$=>{let v=r($.clientX,$.currentTarget);a({a:v,b:v})}}
      onPointerMove=${$=>o&&a({a:o.a,b:r($.clientX,$.currentTarget)})}
      onPointerUp=${()=>{o&&Math.abs(o.b-o.a)>(n-e)/100&&i(Math.min(o.a,o.b),Math.max(o.a,o.b)),a(void 0)}}>
      <line x1=${S.left} y1=${M-S.bottom} x2=${W-S.right} y2=${M-S.bottom} class="axis" />
      <line x1=${S.left} y1=${S.top} x2=${S.left} y2=${M-S.bottom} class="axis" />
      <text x=${S.left-6} y=${S.top+10} text-anchor="end" class="tick">${St(m)}</text>
      <text x=${S.left-6} y=${M-S.bottom} text-anchor="end" class="tick">${St(d)}</text>
      <text x=${S.left} y=${M-6} class="tick">${new Date(e).toLocaleTimeString()}</text>
      <text x=${W-S.right} y=${M-6} text-anchor="end" class="tick">${new Date(n).toLocaleTimeString()}</text>
      <path d=${f} class="line" />
      ${o?u`<rect class="selection" x=${l(Math.min(o.a,o.b))} y=${S.top} width=${Math.abs(l(o.b)-l(o.a))} height=${M-S.top-S.bottom} />`:null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`}function St(t){return Math.abs(t)>=1e3||Number.isInteger(t)?String(Math.round(t)):t.toPrecision(4)}var Pt=[{label:"15 min",ms:15*6e4},{label:"1 h",ms:36e5},{label:"6 h",ms:6*36e5},{label:"24 h",ms:24*36e5},{label:"7 d",ms:168*36e5}];function Ct({thing:t}){let[e,n]=b(),[s,i]=b(),[o,a]=b(),[c,d]=b(()=>Et(Pt[1])),[m,l]=b();return k(()=>{E(`/things/${T(t)}/telemetry/latest`).then(_=>{let f=Object.keys(_.metrics).sort();n(f),a(r=>r??f[0])}).catch(_=>i(_ instanceof x&&_.status===404?"Telemetry is not enabled on this node.":String(_.message)))},[t]),k(()=>{o&&E(`/things/${T(t)}/telemetry?metric=${T(o)}&from=${Math.floor(c.from)}&to=${Math.ceil(c.to)}`).then(_=>{let f=(_.series[0]?.points??[]).map(r=>Array.isArray(r)?[r[0],r[1]]:[r.ts,r.avg]);l({points:f,step:_.step})}).catch(()=>l({points:[],step:"?"}))},[t,o,c]),u`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${s?u`<p class="empty">${s}</p>`:null}
    ${e&&e.length===0?u`<p class="empty">No telemetry from this thing yet.</p>`:null}
    ${e&&e.length>0?u`<div class="row">
            <label>Metric
              <select value=${o} onChange=${_=>a(_.target.value)}>
                ${e.map(_=>u`<option value=${_}>${_}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${Pt.map(_=>u`<button type="button" aria-pressed=${c.label===_.label} onClick=${()=>d(Et(_))}>${_.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(c.from).toLocaleString()} – ${new Date(c.to).toLocaleString()}
            ${m?` \xB7 step ${m.step} \xB7 ${m.points.length} points`:""}</p>
          ${m?u`<${xt} points=${m.points} from=${c.from} to=${c.to} label=${`${o} over time`}
                onSelect=${(_,f)=>d({from:_,to:f,label:"custom"})} />`:u`<p>Loading…</p>`}`:null}
  </section>`}function Et(t){let e=Date.now();return{from:e-t.ms,to:e,label:t.label}}function Lt({route:t,session:e}){let n=t.args[0]??"",s=t.query.get("shadow")??"",[i,o]=b({kind:"loading"}),[a,c]=b([]),[d,m]=b(),l=s?`?name=${T(s)}`:"";return k(()=>{E(`/things/${T(n)}/shadows`).then(_=>c(_.results)).catch(()=>c([]))},[n]),k(()=>{o({kind:"loading"});let _=-1,f=p=>{p.version<_||(_=p.version,p.connection&&m(p.connection),o({kind:"ok",doc:p}))};E(`/things/${T(n)}/shadow${l}`).then(f).catch(p=>{p instanceof x&&p.status===404?o($=>$.kind==="ok"?$:{kind:"missing"}):o({kind:"error",message:p instanceof x?p.message:String(p)})});let r=new EventSource(`/things/${T(n)}/shadow/events${l}`);return r.addEventListener("shadow",p=>f(JSON.parse(p.data))),r.addEventListener("deleted",p=>{_=JSON.parse(p.data).version,o({kind:"missing"})}),()=>r.close()},[n,s]),de(_=>{_.type==="presence"&&_.data.thing===n&&m(_.data.connection)},[n]),u`
    <p class="crumbs"><a href="#/">Fleet</a> / ${n}</p>
    <h1>${n}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${De(d)}
      ${d?u` at site <strong>${d.site}</strong> since ${Z(d.since)} (${B(d.since)})`:null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${ee(n)} aria-current=${s===""?"page":void 0}>classic</a>
      ${a.map(_=>u`<a href=${ee(n,_)} aria-current=${s===_?"page":void 0}>${_}</a>`)}
    </nav>
    ${Jt(i,n,s,_e(e))}
    <${Ct} thing=${n} />
  `}function Jt(t,e,n,s){if(t.kind==="loading")return u`<p>Loading shadow…</p>`;if(t.kind==="error")return u`<p class="error" role="alert">${t.message}</p>`;let i=t.kind==="ok"?t.doc:void 0;return u`
    ${i?u`<p class="meta" data-testid="version">Version <strong>${i.version}</strong></p>`:u`<p class="empty">This shadow does not exist yet.</p>`}
    ${i?u`<div class="panels">
          <${te} title="Desired" value=${i.state.desired} id="desired" />
          <${te} title="Reported" value=${i.state.reported} id="reported" />
          <${te} title="Delta" value=${i.state.delta} id="delta" empty="In sync: nothing pending" />
          <${te} title="Metadata" value=${i.metadata} id="metadata" />
          ${i.conflicts?u`<${te} title="Conflicts" value=${i.conflicts} id="conflicts" />`:null}
        </div>`:null}
    ${s?u`<${wt} thing=${e} shadow=${n} doc=${i} />`:null}
  `}function te({title:t,value:e,id:n,empty:s}){return u`<section class="panel" aria-labelledby=${`h-${n}`} data-testid=${`panel-${n}`}>
    <h2 id=${`h-${n}`}>${t}</h2>
    ${e===void 0?u`<p class="empty">${s??"empty"}</p>`:u`<pre tabindex="0">${Q(e)}</pre>`}
  </section>`}var fe=[{page:"",title:"Fleet",nav:!0,component:vt},{page:"things",title:"Thing",nav:!1,component:Lt},{page:"sites",title:"Sites",nav:!0,component:kt},{page:"identities",title:"Identities",nav:!0,component:$t}];function Tt(){let[t,e]=b({kind:"loading"}),n=()=>dt().then(s=>e({kind:"in",session:s})).catch(s=>e(s instanceof x&&s.status!==0?{kind:"signed-out"}:{kind:"unreachable"}));return k(()=>{lt(()=>{j.stop(),e({kind:"signed-out",reason:"Your session ended; sign in again."})}),n()},[]),k(()=>{t.kind==="in"&&j.start()},[t.kind]),t.kind==="loading"?u`<main class="centered"><p>Loading…</p></main>`:t.kind==="unreachable"?u`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${n}>Try again</button>
    </main>`:t.kind==="signed-out"?u`<${ft} reason=${t.reason} onSignedIn=${s=>e({kind:"in",session:s})} />`:u`<${zt}
    session=${t.session}
    onSignOut=${async()=>{j.stop(),await pt(),e({kind:"signed-out"})}}
  />`}function zt({session:t,onSignOut:e}){let n=gt(),s=ut(),i=fe.find(o=>o.page===n.page)??fe[0];return k(()=>{document.title=`${i.title} \xB7 Umbra`},[i]),u`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${fe.filter(o=>o.nav).map(o=>u`<a href=${`#/${o.page}`} aria-current=${o===i||i.page==="things"&&o.page===""?"page":void 0}>${o.title}</a>`)}
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
  `}var Rt=document.getElementById("app");Rt&&Se(u`<${Tt} />`,Rt);
